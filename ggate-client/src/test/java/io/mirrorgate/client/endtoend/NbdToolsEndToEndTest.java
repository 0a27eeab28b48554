package io.mirrorgate.client.endtoend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.ExternalTools;
import io.mirrorgate.server.testing.GgateServerProcess;
import io.mirrorgate.server.testing.NbdFuseDisk;
import io.mirrorgate.server.testing.ProcessGroup;
import io.mirrorgate.server.testing.Processes;
import io.mirrorgate.server.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real NBD clients (nbdinfo, qemu-img, nbdcopy, nbdfuse + ext4) on a disk attached by a {@code
 * ggate-client attach} process from a {@code ggate-server} process, and on the server's own NBD
 * port.
 */
@EndToEnd
class NbdToolsEndToEndTest {
    private static final long SIZE = 128L * 1024 * 1024;
    private static final Duration TOOL = Duration.ofSeconds(60);

    @RegisterExtension
    final ProcessGroup processes = new ProcessGroup();
    @TempDir
    Path dir;
    private Path image;
    private GgateServerProcess server;
    private AttachProcess attach;
    private NbdFuseDisk disk;

    @BeforeEach
    void startServerAndAttach() throws Exception {
        image = TestData.sparseFile(dir.resolve("disk.img"), SIZE);
        server = GgateServerProcess.start(processes, dir, List.of("127.0.0.1 RW " + image + " disk"));
        attach = AttachProcess.start(processes, dir, "attach", dir.resolve("run"), server.keyFile(),
                server.ggateAddress(), image.toString());
    }

    @AfterEach
    void unmount() throws Exception {
        if (disk != null) {
            disk.close();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void nbdinfoShowsSizeAndFlagsOfTheAttachedDiskAndReadOnlyForAnRoAttach() throws Exception {
        String nbdinfo = ExternalTools.require("nbdinfo");
        JsonNode rw = exportInfo(nbdinfo, attach.uri());
        assertEquals(SIZE, rw.get("export-size").asLong());
        assertEquals(false, rw.get("is_read_only").asBoolean());
        assertEquals(true, rw.get("can_flush").asBoolean());
        assertEquals(true, rw.get("can_fua").asBoolean());
        assertEquals(true, rw.get("can_trim").asBoolean());
        assertEquals(true, rw.get("can_zero").asBoolean());

        AttachProcess ro = AttachProcess.start(processes, dir, "attach-ro", dir.resolve("run"),
                server.keyFile(), server.ggateAddress(), image.toString(), "-o", "ro");
        JsonNode roInfo = exportInfo(nbdinfo, ro.uri());
        assertEquals(true, roInfo.get("is_read_only").asBoolean());
        assertEquals(SIZE, roInfo.get("export-size").asLong());
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void qemuImgConvertsAnImageInAndBackOutThroughTheAttachedDiskIdentically() throws Exception {
        String qemuImg = ExternalTools.require("qemu-img");
        Path in = randomImage("in.raw");
        Path out = dir.resolve("out.raw");
        Processes.run(TOOL, qemuImg, "convert", "-n", "-f", "raw", "-O", "raw", in.toString(),
                attach.uri()).assertSuccess();
        assertEquals(TestData.sha256(in), TestData.sha256(image), "the exported image file");
        Processes.run(TOOL, qemuImg, "convert", "-f", "raw", "-O", "raw", attach.uri(),
                out.toString()).assertSuccess();
        assertEquals(TestData.sha256(in), TestData.sha256(out));
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void nbdcopyCopiesInAndOutThroughTheAttachedDiskIdentically() throws Exception {
        String nbdcopy = ExternalTools.require("nbdcopy");
        Path in = randomImage("in.raw");
        Path out = dir.resolve("out.raw");
        Processes.run(TOOL, nbdcopy, in.toString(), attach.uri()).assertSuccess();
        assertEquals(TestData.sha256(in), TestData.sha256(image), "the exported image file");
        Processes.run(TOOL, nbdcopy, attach.uri(), out.toString()).assertSuccess();
        assertEquals(TestData.sha256(in), TestData.sha256(out));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void ext4OnTheAttachedDiskSurvivesMkfsMountWritesUmountAndFsck() throws Exception {
        NbdFuseDisk.requireTools();
        disk = NbdFuseDisk.attach(Files.createDirectory(dir.resolve("fs")), attach.uri());
        assertEquals(SIZE, Files.size(disk.file()));
        disk.proveExt4(6, 2000);
        disk.close();
        disk = null;
        Processes.Result imageFsck = Processes.run(TOOL, ExternalTools.require("e2fsck"), "-fn",
                image.toString());
        assertEquals(0, imageFsck.exitCode(), () -> "the exported image file is not a clean ext4:\n"
                + imageFsck.out() + imageFsck.err());
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void nbdinfoAndQemuImgWorkOnTheServersOwnNbdPort() throws Exception {
        String nbdinfo = ExternalTools.require("nbdinfo");
        String qemuImg = ExternalTools.require("qemu-img");
        JsonNode info = exportInfo(nbdinfo, server.nbdUri("disk"));
        assertEquals(SIZE, info.get("export-size").asLong());
        assertEquals(false, info.get("is_read_only").asBoolean());

        Path in = randomImage("in.raw");
        Path out = dir.resolve("out.raw");
        Processes.run(TOOL, qemuImg, "convert", "-n", "-f", "raw", "-O", "raw", in.toString(),
                server.nbdUri("disk")).assertSuccess();
        assertEquals(TestData.sha256(in), TestData.sha256(image), "the exported image file");
        Processes.run(TOOL, qemuImg, "convert", "-f", "raw", "-O", "raw", server.nbdUri("disk"),
                out.toString()).assertSuccess();
        assertEquals(TestData.sha256(in), TestData.sha256(out));
    }

    private static JsonNode exportInfo(String nbdinfo, String uri) throws Exception {
        JsonNode all = new ObjectMapper().readTree(Processes.run(TOOL, nbdinfo, "--json", uri)
                .assertSuccess().out());
        assertTrue(all.get("exports").size() == 1, () -> "one export expected: " + all);
        return all.get("exports").get(0);
    }

    /** A random image of the export's size, with some all-zero stretches as real images have. */
    private Path randomImage(String name) throws Exception {
        Path file = dir.resolve(name);
        int chunk = 1 << 20;
        try (var out = Files.newOutputStream(file)) {
            for (int i = 0; i < SIZE / chunk; i++) {
                out.write(i % 7 == 3 ? new byte[chunk] : TestData.randomBytes(i, chunk));
            }
        }
        return file;
    }
}
