package io.mirrorgate.server.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds the external programs that integration tests drive (qemu-img, nbdinfo, nbdcopy, nbdfuse,
 * mkfs.ext4, e2fsck, losetup, ...). Outside CI a missing program skips the test; under CI
 * ({@code CI=true}) it fails it, because CI installs every tool the suite needs.
 */
public final class ExternalTools {
    private ExternalTools() {}

    /** Whether the suite runs under CI, where every tool must be present. */
    public static boolean underCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** The absolute path of {@code program}, or a skip (locally) / failure (under CI). */
    public static String require(String program) {
        String found = find(program);
        if (found == null) {
            String reason = program + " is not installed (install it as .ci/run does)";
            if (underCi()) {
                Assertions.fail(reason);
            }
            Assumptions.abort(reason);
        }
        return found;
    }

    /** Requires root (loop devices, mounts); skips locally, fails under CI. */
    public static void requireRoot() {
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!root) {
            if (underCi()) {
                Assertions.fail("this test needs root (loop devices and mounts)");
            }
            Assumptions.abort("this test needs root");
        }
    }

    /**
     * Requires a writable {@code dir} (such as the tmpfs at /dev/shm); skips locally, fails under CI.
     * Returns it.
     */
    public static Path requireWritable(Path dir, String what) {
        if (!Files.isWritable(dir)) {
            String reason = "no writable " + dir + " (" + what + ")";
            if (underCi()) {
                Assertions.fail(reason);
            }
            Assumptions.abort(reason);
        }
        return dir;
    }

    /** The absolute path of {@code program} on PATH or in the sbin directories, or null. */
    public static String find(String program) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/bin:/bin";
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, program);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }
}
