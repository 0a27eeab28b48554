package io.mirrorgate.replicator.bitmap;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.server.testing.EndToEnd;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills (SIGKILL) a process that writes through the real bitmap, then checks the invariant on
 * what it left on disk: every region with an acknowledged write that no later flush + bothDurable
 * covered is marked.
 */
@Timeout(120)
@EndToEnd
class BitmapCrashTest {
    private static final int ACKS_BEFORE_KILL = 1500;

    @TempDir
    Path dir;

    private Process child;

    @AfterEach
    void stopChild() throws InterruptedException {
        if (child != null && child.isAlive()) {
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void everyAcknowledgedButNotDurableWriteIsMarkedAfterSigkill() throws Exception {
        Path meta = PersistentDirtyRegionsTest.cleanMetadata(dir);
        long volume = MetadataFile.inspect(meta).volumeSize();
        long regionSize = MetadataFile.inspect(meta).regionSize();
        Path image = dir.resolve("r0.img");
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(volume);
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-opens") || arg.startsWith("--add-exports")) {
                command.add(arg);
            }
        }
        command.addAll(List.of("-Xmx128m", "-cp", System.getProperty("java.class.path"),
                CrashWriter.class.getName(), meta.toString(), image.toString(), Long.toString(volume), "4",
                "1000000", "42", Integer.toString(ACKS_BEFORE_KILL - 100)));
        child = new ProcessBuilder(command).redirectError(dir.resolve("child.err").toFile()).start();

        Set<Long> notDurable = new HashSet<>();
        int acks = 0;
        int flushes = 0;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                if (line.startsWith("ACK ")) {
                    notDurable.add(Long.parseLong(line.substring(4)) / regionSize);
                    if (++acks == ACKS_BEFORE_KILL) {
                        // SIGKILL through the handle: Process.destroyForcibly would also close our end
                        // of the pipe, losing the lines the child wrote before it died.
                        child.toHandle().destroyForcibly();
                    }
                } else if (line.equals("DURABLE")) {
                    notDurable.clear();
                    flushes++;
                } else {
                    throw new AssertionError("unexpected output of the child: " + line);
                }
            }
        }
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        assertTrue(acks >= ACKS_BEFORE_KILL, "child acknowledged only " + acks + " writes; see " + dir);
        assertTrue(flushes > 10, "flushes: " + flushes);
        assertFalse(notDurable.isEmpty(), "the kill came between two flushes");

        MetadataSnapshot onDisk = MetadataFile.inspect(meta);
        assertFalse(onDisk.cleanShutdown(), "a killed process leaves the unclean flag");
        for (long region : notDurable) {
            assertTrue(onDisk.isMarked(region), "region " + region + " acknowledged after the last flush is not marked");
        }
        assertTrue(onDisk.markedCount() < 256, "unmarking happened: marked " + onDisk.markedCount());
        try (PersistentDirtyRegions reopened = PersistentDirtyRegions.open(meta, volume, 4)) {
            for (long region : notDurable) {
                assertTrue(reopened.isOwed(region), "region " + region + " owed after the crash");
            }
        }
    }
}
