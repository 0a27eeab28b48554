package io.mirrorgate.server.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;

/**
 * An NBD export as a real block device, where the kernel has no nbd module: {@code nbdfuse}
 * exposes the export as a file, {@code losetup} makes that a loop device, on which tests can
 * mkfs, mount and fsck. Needs root and the tools ({@link ExternalTools}). {@link #close()} undoes
 * everything (umount, losetup -d, fusermount3 -u, stop nbdfuse), also after a failure half way;
 * call it from {@code @AfterEach}.
 */
public final class NbdFuseDisk implements AutoCloseable {
    private static final Duration STEP = Duration.ofSeconds(120);

    private final Path dir;
    private final Path fuseDir;
    private final Path mountDir;
    private Process nbdfuse;
    private String loop;
    private boolean mounted;

    private NbdFuseDisk(Path dir) {
        this.dir = dir;
        this.fuseDir = dir.resolve("fuse");
        this.mountDir = dir.resolve("mnt");
    }

    /** Requires root and every tool this fixture runs (skips locally, fails under CI). */
    public static void requireTools() {
        ExternalTools.requireRoot();
        for (String tool : List.of("nbdfuse", "fusermount3", "losetup", "mkfs.ext4", "e2fsck",
                "mount", "umount", "blockdev")) {
            ExternalTools.require(tool);
        }
    }

    /**
     * Starts nbdfuse on {@code uri} under {@code dir/fuse} and attaches a loop device to it;
     * the caller closes the returned disk (also when this throws, nothing stays behind).
     */
    public static NbdFuseDisk attach(Path dir, String uri) throws IOException, InterruptedException {
        requireTools();
        NbdFuseDisk disk = new NbdFuseDisk(dir);
        try {
            disk.start(uri);
            return disk;
        } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
            try {
                disk.close();
            } catch (AssertionError | IOException | InterruptedException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    private void start(String uri) throws IOException, InterruptedException {
        Files.createDirectories(fuseDir);
        Files.createDirectories(mountDir);
        Path pidFile = dir.resolve("nbdfuse.pid");
        nbdfuse = new ProcessBuilder(ExternalTools.require("nbdfuse"), "-P", pidFile.toString(),
                fuseDir.toString(), uri)
                .redirectErrorStream(true).redirectOutput(dir.resolve("nbdfuse.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!(Files.exists(pidFile) && Files.exists(fuseDir.resolve("nbd")))) {
            if (!nbdfuse.isAlive()) {
                throw new AssertionError("nbdfuse exited " + nbdfuse.exitValue() + ": " + log());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("nbdfuse not ready in 30 s: " + log());
            }
            Thread.sleep(50);
        }
        loop = Processes.run(STEP, ExternalTools.require("losetup"), "-f", "--show",
                file().toString()).assertSuccess().out().strip();
    }

    /** The export as a file (nbdfuse's {@code nbd}). */
    public Path file() {
        return fuseDir.resolve("nbd");
    }

    /** The loop device, e.g. {@code /dev/loop3}. */
    public String loopDevice() {
        return loop;
    }

    /** Where {@link #mount} mounts the file system. */
    public Path mountPoint() {
        return mountDir;
    }

    /** mkfs.ext4 on the loop device. */
    public void mkfsExt4() {
        Processes.run(STEP, ExternalTools.require("mkfs.ext4"), "-q", "-F", loop).assertSuccess();
    }

    /** Mounts the loop device ({@code readOnly}: {@code -o ro}). */
    public void mount(boolean readOnly) {
        List<String> command = new ArrayList<>(List.of(ExternalTools.require("mount")));
        if (readOnly) {
            command.addAll(List.of("-o", "ro"));
        }
        command.addAll(List.of(loop, mountDir.toString()));
        Processes.run(STEP, command.toArray(String[]::new)).assertSuccess();
        mounted = true;
    }

    /** sync and umount. */
    public void umount() {
        Processes.run(STEP, "sync").assertSuccess();
        Processes.run(STEP, ExternalTools.require("umount"), mountDir.toString()).assertSuccess();
        mounted = false;
    }

    /** {@code e2fsck -fn} on the loop device (unmounted): its result, exit 0 when clean. */
    public Processes.Result fsck() {
        return Processes.run(STEP, ExternalTools.require("e2fsck"), "-fn", loop);
    }

    /** Drops the loop device's page cache, so that the next reads come over NBD. */
    public void flushBuffers() {
        Processes.run(STEP, ExternalTools.require("blockdev"), "--flushbufs", loop).assertSuccess();
    }

    /**
     * The filesystem proof every NBD path shares: mkfs.ext4, mount, write {@code files} random
     * files (1 MiB, 2 MiB, ...), umount, {@code e2fsck -fn} must be clean; then drop the loop
     * device's page cache so the read-back comes over NBD, mount read-only and check each file's
     * checksum. The filesystem stays mounted read-only.
     */
    public void proveExt4(int files, long seed) throws IOException {
        mkfsExt4();
        mount(false);
        List<String> sums = new ArrayList<>();
        for (int i = 0; i < files; i++) {
            byte[] content = TestData.randomBytes(seed + i, (i + 1) * 1024 * 1024);
            Files.write(mountDir.resolve("file" + i), content);
            sums.add(TestData.sha256(content));
        }
        umount();
        Processes.Result fsck = fsck();
        Assertions.assertEquals(0, fsck.exitCode(),
                () -> "e2fsck found problems:\n" + fsck.out() + fsck.err());

        flushBuffers();
        mount(true);
        for (int i = 0; i < files; i++) {
            Assertions.assertEquals(sums.get(i), TestData.sha256(mountDir.resolve("file" + i)),
                    "file" + i);
        }
    }

    /** nbdfuse's output so far. */
    public String log() {
        try {
            Path log = dir.resolve("nbdfuse.log");
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /**
     * Unmounts, detaches the loop device, unmounts the FUSE file system and waits for nbdfuse;
     * every step is tried, and the steps that failed are reported together. Idempotent.
     */
    @Override
    public void close() throws IOException, InterruptedException {
        List<String> failures = new ArrayList<>();
        if (mounted) {
            collect(failures, Processes.run(STEP, "umount", mountDir.toString()));
            mounted = false;
        }
        if (loop != null) {
            collect(failures, Processes.run(STEP, "losetup", "-d", loop));
            loop = null;
        }
        if (nbdfuse != null) {
            if (Files.exists(file())) {
                collect(failures, Processes.run(STEP, "fusermount3", "-u", fuseDir.toString()));
            }
            if (!nbdfuse.waitFor(30, TimeUnit.SECONDS)) {
                nbdfuse.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                failures.add("nbdfuse did not exit after fusermount3 -u: " + log());
            }
            nbdfuse = null;
        }
        if (!failures.isEmpty()) {
            throw new AssertionError("clean-up steps that failed: " + failures);
        }
    }

    private static void collect(List<String> failures, Processes.Result r) {
        if (r.exitCode() != 0) {
            failures.add(r.command() + " exited " + r.exitCode() + ": " + r.err());
        }
    }
}
