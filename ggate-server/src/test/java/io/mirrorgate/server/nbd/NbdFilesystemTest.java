package io.mirrorgate.server.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.SingleExportResolver;
import io.mirrorgate.server.testing.ExternalTools;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import io.mirrorgate.server.testing.Processes;
import io.mirrorgate.server.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real ext4 file system on an NBD export: nbdfuse exposes the export as a file, a loop device
 * makes it a block device, and mkfs, mount, file writes, umount and e2fsck run on it.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class NbdFilesystemTest {
    private static final long SIZE = 256L * 1024 * 1024;
    private static final Duration STEP = Duration.ofSeconds(120);

    @TempDir
    Path dir;
    private NbdServer server;
    private Process nbdfuse;
    private Path fuseDir;
    private Path mountDir;
    private String loop;
    private boolean mounted;

    @AfterEach
    void cleanUp() throws Exception {
        List<String> failures = new ArrayList<>();
        if (mounted) {
            collect(failures, Processes.run(STEP, "umount", mountDir.toString()));
        }
        if (loop != null) {
            collect(failures, Processes.run(STEP, "losetup", "-d", loop));
        }
        if (nbdfuse != null) {
            if (Files.exists(fuseDir.resolve("nbd"))) {
                collect(failures, Processes.run(STEP, "fusermount3", "-u", fuseDir.toString()));
            }
            if (!nbdfuse.waitFor(30, TimeUnit.SECONDS)) {
                nbdfuse.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (server != null) {
            server.close();
        }
        assertEquals(List.of(), failures, "clean-up steps that failed");
    }

    private static void collect(List<String> failures, Processes.Result r) {
        if (r.exitCode() != 0) {
            failures.add(r.command() + " exited " + r.exitCode() + ": " + r.err());
        }
    }

    @Test
    void ext4OnAnNbdExportSurvivesMkfsMountWritesUmountAndFsck() throws Exception {
        ExternalTools.requireRoot();
        String nbdfuseTool = ExternalTools.require("nbdfuse");
        ExternalTools.require("fusermount3");
        String losetup = ExternalTools.require("losetup");
        String mkfs = ExternalTools.require("mkfs.ext4");
        String e2fsck = ExternalTools.require("e2fsck");
        String mount = ExternalTools.require("mount");
        String umount = ExternalTools.require("umount");

        MemoryBlockDevice device = new MemoryBlockDevice("/data/fs.img", SIZE, 512, false);
        server = NbdServer.start(new SingleExportResolver("fs", device, Access.RW), "127.0.0.1", 0);

        fuseDir = Files.createDirectory(dir.resolve("fuse"));
        mountDir = Files.createDirectory(dir.resolve("mnt"));
        Path pidFile = dir.resolve("nbdfuse.pid");
        nbdfuse = new ProcessBuilder(nbdfuseTool, "-P", pidFile.toString(), fuseDir.toString(),
                "nbd://127.0.0.1:" + server.port() + "/fs")
                .redirectErrorStream(true).redirectOutput(dir.resolve("nbdfuse.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!(Files.exists(pidFile) && Files.exists(fuseDir.resolve("nbd")))) {
            assertTrue(nbdfuse.isAlive(), () -> "nbdfuse exited: " + log());
            assertTrue(System.nanoTime() < deadline, () -> "nbdfuse not ready in 30 s: " + log());
            Thread.sleep(50);
        }
        assertEquals(SIZE, Files.size(fuseDir.resolve("nbd")));

        loop = Processes.run(STEP, losetup, "-f", "--show", fuseDir.resolve("nbd").toString())
                .assertSuccess().out().strip();
        Processes.run(STEP, mkfs, "-q", "-F", loop).assertSuccess();
        Processes.run(STEP, mount, loop, mountDir.toString()).assertSuccess();
        mounted = true;

        List<String> sums = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            byte[] content = TestData.randomBytes(1000 + i, (i + 1) * 1024 * 1024);
            Files.write(mountDir.resolve("file" + i), content);
            sums.add(TestData.sha256(content));
        }
        Processes.run(STEP, "sync").assertSuccess();
        Processes.run(STEP, umount, mountDir.toString()).assertSuccess();
        mounted = false;

        Processes.Result fsck = Processes.run(STEP, e2fsck, "-fn", loop);
        assertEquals(0, fsck.exitCode(), () -> "e2fsck found problems:\n" + fsck.out() + fsck.err());

        // Drop the loop device's page cache so the read-back comes over NBD.
        Processes.run(STEP, "blockdev", "--flushbufs", loop).assertSuccess();
        Processes.run(STEP, mount, "-o", "ro", loop, mountDir.toString()).assertSuccess();
        mounted = true;
        for (int i = 0; i < 8; i++) {
            assertEquals(sums.get(i), TestData.sha256(mountDir.resolve("file" + i)), "file" + i);
        }
        assertTrue(device.bytesWritten() > 36L * 1024 * 1024, "the data went through the export");
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("nbdfuse.log"));
        } catch (java.io.IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
