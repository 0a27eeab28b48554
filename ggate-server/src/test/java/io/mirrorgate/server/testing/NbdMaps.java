package io.mirrorgate.server.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The allocation map of an NBD export as real clients see it ({@code nbdinfo --map}, {@code
 * qemu-img map --output=json}), and the same tools against nbdkit's file plugin on a file, the
 * reference a Mirrorgate endpoint must match.
 */
public final class NbdMaps {
    private static final Duration TOOL = Duration.ofSeconds(120);

    private NbdMaps() {}

    /** {@code nbdinfo --map} of {@code uri}. */
    public static String nbdinfoMap(String uri) {
        return Processes.run(TOOL, ExternalTools.require("nbdinfo"), "--map", uri)
                .assertSuccess().out();
    }

    /** {@code qemu-img map --output=json} of {@code uri} (raw). */
    public static String qemuImgMap(String uri) {
        return Processes.run(TOOL, ExternalTools.require("qemu-img"), "map", "-f", "raw",
                "--output=json", uri).assertSuccess().out();
    }

    /** {@code nbdinfo --map} of nbdkit's file plugin serving {@code file} read-only. */
    public static String nbdkitNbdinfoMap(Path file) {
        return nbdkitRun(file, ExternalTools.require("nbdinfo") + " --map \"$uri\"");
    }

    /** {@code qemu-img map --output=json} of nbdkit's file plugin serving {@code file}. */
    public static String nbdkitQemuImgMap(Path file) {
        return nbdkitRun(file, ExternalTools.require("qemu-img")
                + " map -f raw --output=json \"$uri\"");
    }

    /** Asserts that both tools see the same map through {@code uri} as through nbdkit. */
    public static void assertSameMapsAsNbdkit(String uri, Path file) {
        String expected = nbdkitNbdinfoMap(file);
        assertEquals(expected, nbdinfoMap(uri), "nbdinfo --map through " + uri);
        assertEquals(nbdkitQemuImgMap(file), qemuImgMap(uri), "qemu-img map through " + uri);
    }

    private static String nbdkitRun(Path file, String command) {
        return Processes.run(TOOL, ExternalTools.require("nbdkit"), "-r", "-U", "-", "file",
                "file=" + file, "--run", command).assertSuccess().out();
    }
}
