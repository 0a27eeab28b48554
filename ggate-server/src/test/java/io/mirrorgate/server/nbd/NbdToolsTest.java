package io.mirrorgate.server.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.server.nbdprotocol.NbdConstants;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.ExternalTools;
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
import org.junit.jupiter.api.io.TempDir;

/** Real NBD clients (libnbd tools, qemu-img) against an {@link NbdServer} on 256 MiB exports. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@EndToEnd
class NbdToolsTest {
    private static final long SIZE = 256L * 1024 * 1024;
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(120);

    @TempDir
    Path dir;
    private ExportsServer exports;

    @BeforeEach
    void startServer() throws Exception {
        exports = new ExportsServer(dir, SIZE, List.of(
                "127.0.0.1  RW  /data/disk.img  disk",
                "127.0.0.1  RO  /data/ro.img    ro",
                "10.0.0.0/8 RW  /data/far.img   far"));
    }

    @AfterEach
    void stopServer() {
        if (exports != null) {
            exports.close();
        }
    }

    private String uri(String name) {
        return exports.uri(name);
    }

    @Test
    void nbdinfoShowsSizeAndFlagsAndReadOnly() throws Exception {
        String nbdinfo = ExternalTools.require("nbdinfo");
        ObjectMapper json = new ObjectMapper();
        JsonNode rw = json.readTree(Processes.run(TOOL_TIMEOUT, nbdinfo, "--json", uri("disk"))
                .assertSuccess().out());
        JsonNode disk = rw.get("exports").get(0);
        assertEquals(SIZE, disk.get("export-size").asLong());
        assertEquals(false, disk.get("is_read_only").asBoolean());
        assertEquals(true, disk.get("can_flush").asBoolean());
        assertEquals(true, disk.get("can_fua").asBoolean());
        assertEquals(true, disk.get("can_trim").asBoolean());
        assertEquals(true, disk.get("can_zero").asBoolean());
        assertEquals(true, disk.get("can_multi_conn").asBoolean());
        assertEquals(512, disk.get("block_size_minimum").asInt());
        assertEquals(NbdConstants.DEFAULT_MAX_PAYLOAD, disk.get("block_size_maximum").asInt());
        assertEquals("newstyle-fixed", rw.get("protocol").asText());

        JsonNode ro = json.readTree(Processes.run(TOOL_TIMEOUT, nbdinfo, "--json", uri("ro"))
                .assertSuccess().out()).get("exports").get(0);
        assertEquals(true, ro.get("is_read_only").asBoolean());
        assertEquals(false, ro.get("can_trim").asBoolean(), "read-only and trim: " + ro);
        assertEquals(false, ro.get("can_zero").asBoolean(), "read-only and zero: " + ro);
        assertEquals(false, ro.get("can_fua").asBoolean(), "read-only and fua: " + ro);
        assertEquals(SIZE, ro.get("export-size").asLong());
    }

    @Test
    void nbdinfoListShowsTheExportsThisClientMayUse() {
        String nbdinfo = ExternalTools.require("nbdinfo");
        String out = Processes.run(TOOL_TIMEOUT, nbdinfo, "--list", "--json",
                "nbd://127.0.0.1:" + exports.port()).assertSuccess().out();
        assertTrue(out.contains("\"export-name\": \"disk\""), out);
        assertTrue(out.contains("\"export-name\": \"ro\""), out);
        assertTrue(!out.contains("\"far\""), "an export this host may not use is not listed: " + out);
    }

    @Test
    void qemuImgConvertsARandomImageInAndBackOutIdentically() throws Exception {
        String qemuImg = ExternalTools.require("qemu-img");
        Path in = randomImage("in.raw");
        Path out = dir.resolve("out.raw");
        Processes.run(TOOL_TIMEOUT, qemuImg, "convert", "-n", "-f", "raw", "-O", "raw",
                in.toString(), uri("disk")).assertSuccess();
        assertEquals(TestData.sha256(in), exports.device("/data/disk.img").sha256());
        Processes.run(TOOL_TIMEOUT, qemuImg, "convert", "-f", "raw", "-O", "raw",
                uri("disk"), out.toString()).assertSuccess();
        assertEquals(TestData.sha256(in), TestData.sha256(out));
    }

    @Test
    void nbdcopyCopiesInAndOutIdentically() throws Exception {
        String nbdcopy = ExternalTools.require("nbdcopy");
        Path in = randomImage("in.raw");
        Path out = dir.resolve("out.raw");
        Processes.run(TOOL_TIMEOUT, nbdcopy, in.toString(), uri("disk")).assertSuccess();
        assertEquals(TestData.sha256(in), exports.device("/data/disk.img").sha256());
        Processes.run(TOOL_TIMEOUT, nbdcopy, uri("disk"), out.toString()).assertSuccess();
        assertEquals(TestData.sha256(in), TestData.sha256(out));
    }

    @Test
    void unknownExportAndRefusedHostFailAndTheServerKeepsServing() throws Exception {
        String nbdinfo = ExternalTools.require("nbdinfo");
        Processes.Result unknown = Processes.run(TOOL_TIMEOUT, nbdinfo, uri("nope"));
        assertNotEquals(0, unknown.exitCode());
        assertTrue(unknown.err().contains("No such file or directory"), unknown.err());
        Processes.Result refused = Processes.run(TOOL_TIMEOUT, nbdinfo, uri("far"));
        assertNotEquals(0, refused.exitCode());
        assertTrue(refused.err().contains("server replied with error to opt_go request"),
                refused.err());
        Processes.run(TOOL_TIMEOUT, nbdinfo, uri("disk")).assertSuccess();
    }

    private Path randomImage(String name) throws Exception {
        Path file = dir.resolve(name);
        int chunk = 1 << 20;
        try (var out = Files.newOutputStream(file)) {
            for (int i = 0; i < SIZE / chunk; i++) {
                if (i % 7 == 3) {
                    out.write(new byte[chunk]); // some all-zero stretches, as real images have
                } else {
                    out.write(TestData.randomBytes(i, chunk));
                }
            }
        }
        return file;
    }
}
