package io.mirrorgate.server.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A loop device over an image file ({@code losetup -f --show}), for tests that need a real
 * block device. Needs root and losetup ({@link ExternalTools}: skips locally, fails under CI).
 * {@link #close()} detaches it; call it from {@code @AfterEach}.
 */
public final class LoopDevice implements AutoCloseable {
    private final String losetup;
    private final Path device;
    private boolean attached = true;

    private LoopDevice(String losetup, Path device) {
        this.losetup = losetup;
        this.device = device;
    }

    /**
     * Attaches {@code image} with the given logical sector size (0 for the default 512) and
     * size limit (0 for the whole file).
     */
    public static LoopDevice attach(Path image, int sectorSize, long sizeLimit)
            throws IOException, InterruptedException {
        return attach(image, sectorSize, sizeLimit, false);
    }

    /** Attaches {@code image} read-only ({@code losetup -r}): nothing can write to the file through it. */
    public static LoopDevice attachReadOnly(Path image) throws IOException, InterruptedException {
        return attach(image, 0, 0, true);
    }

    private static LoopDevice attach(Path image, int sectorSize, long sizeLimit, boolean readOnly)
            throws IOException, InterruptedException {
        ExternalTools.requireRoot();
        String losetup = ExternalTools.require("losetup");
        List<String> command = new ArrayList<>(List.of(losetup, "-f", "--show"));
        if (readOnly) {
            command.add("-r");
        }
        if (sectorSize != 0) {
            command.addAll(List.of("--sector-size", Integer.toString(sectorSize)));
        }
        if (sizeLimit != 0) {
            command.addAll(List.of("--sizelimit", Long.toString(sizeLimit)));
        }
        command.add(image.toString());
        return new LoopDevice(losetup, Path.of(run(command).trim()));
    }

    /** The device node, for example {@code /dev/loop3}. */
    public Path path() {
        return device;
    }

    /** Detaches the device (once). */
    @Override
    public void close() throws IOException, InterruptedException {
        if (attached) {
            attached = false;
            run(List.of(losetup, "-d", device.toString()));
        }
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + ": no exit after 30 s");
        }
        String output = new String(process.getInputStream().readAllBytes(),
                StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + ": exit " + process.exitValue()
                    + ": " + output.trim());
        }
        return output;
    }
}
