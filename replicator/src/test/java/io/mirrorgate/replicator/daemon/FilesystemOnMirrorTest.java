package io.mirrorgate.replicator.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.replicator.testing.Fixtures;
import io.mirrorgate.replicator.testing.ProcessMirror;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.ExternalTools;
import io.mirrorgate.server.testing.LoopDevice;
import io.mirrorgate.server.testing.NbdFuseDisk;
import io.mirrorgate.server.testing.ProcessGroup;
import io.mirrorgate.server.testing.Processes;
import io.mirrorgate.server.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An ext4 file system on the mirrored volume ({@code replicator run} exporting it over NBD,
 * attached with nbdfuse + loop) survives the standby ggate-server being SIGKILLed and restarted
 * while files are written: after the resync the standby's image file alone is clean for {@code
 * e2fsck -fn} and, mounted read-only, holds every file with its checksum. Needs root and the
 * tools (skips locally without them, fails under CI).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@EndToEnd
class FilesystemOnMirrorTest {
    private static final Duration STEP = Duration.ofSeconds(120);

    @RegisterExtension
    final ProcessGroup processes = new ProcessGroup();

    @TempDir
    Path dir;

    private ProcessMirror mirror;
    private NbdFuseDisk disk;
    private LoopDevice standbyLoop;
    private Path standbyMount;
    private boolean standbyMounted;

    @AfterEach
    void stop() throws Exception {
        try {
            if (standbyMounted) {
                Processes.run(STEP, "umount", standbyMount.toString()).assertSuccess();
            }
            if (standbyLoop != null) {
                standbyLoop.close();
            }
            if (disk != null) {
                disk.close();
            }
        } finally {
            if (mirror != null) {
                mirror.close();
            }
        }
    }

    /** Writes {@code count} files {@code prefix-N} of 4 KiB .. 512 KiB of random data; records their checksums. */
    private static void writeFiles(Path mount, String prefix, int count, long seed, Map<String, String> sums)
            throws Exception {
        Random random = new Random(seed);
        for (int i = 0; i < count; i++) {
            byte[] data = TestData.randomBytes(seed * 1000 + i, 4096 * (1 + random.nextInt(128)));
            String name = prefix + "-" + i;
            Files.write(mount.resolve(name), data);
            sums.put(name, TestData.sha256(data));
        }
        Processes.run(STEP, "sync").assertSuccess();
    }

    @Test
    void ext4SurvivesAStandbyKillAndRestartAndTheStandbyImageAloneIsCleanWithEveryFile() throws Exception {
        NbdFuseDisk.requireTools();
        String e2fsck = ExternalTools.require("e2fsck");
        mirror = ProcessMirror.start(processes, dir, 128L << 20, "region_size = \"1MiB\"");
        mirror.awaitInSync(Duration.ofSeconds(60));

        disk = NbdFuseDisk.attach(Files.createDirectories(dir.resolve("disk")), mirror.nbdUri());
        disk.mkfsExt4();
        disk.mount(false);
        Map<String, String> sums = new TreeMap<>();
        writeFiles(disk.mountPoint(), "before", 16, 1, sums);
        mirror.awaitInSync(Duration.ofSeconds(30));

        mirror.killStandby();
        writeFiles(disk.mountPoint(), "degraded", 16, 2, sums);
        JsonNode away = mirror.awaitDisconnected(Duration.ofSeconds(30));
        assertTrue(away.path("owedRegions").asLong() > 0, "the files written while away are owed: " + away);
        assertTrue(away.path("counters").path("degradedWrites").asLong() > 0, away.toString());

        mirror.restartStandby();
        writeFiles(disk.mountPoint(), "returning", 16, 3, sums);
        mirror.awaitInSync(Duration.ofSeconds(60));
        disk.umount();
        disk.close();
        disk = null;
        JsonNode done = mirror.awaitInSync(Duration.ofSeconds(30));
        assertTrue(done.path("syncsCompleted").asLong() >= 2, "the initial sync and the resync: " + done);
        assertEquals(0, done.path("counters").path("localWriteFailures").asLong(), done.toString());
        mirror.stopPrimary();
        mirror.stopStandby();

        Processes.Result fsck = Processes.run(STEP, e2fsck, "-fn", mirror.standbyImage().toString());
        assertEquals(0, fsck.exitCode(), "e2fsck -fn of the standby's image:\n" + fsck.out() + fsck.err());

        standbyLoop = LoopDevice.attachReadOnly(mirror.standbyImage());
        standbyMount = Files.createDirectories(dir.resolve("standby-mnt"));
        Processes.run(STEP, "mount", "-o", "ro", standbyLoop.path().toString(), standbyMount.toString())
                .assertSuccess();
        standbyMounted = true;
        for (Map.Entry<String, String> f : sums.entrySet()) {
            Path file = standbyMount.resolve(f.getKey());
            assertTrue(Files.exists(file), "on the standby: " + f.getKey());
            assertEquals(f.getValue(), TestData.sha256(file), "checksum of " + f.getKey() + " on the standby");
        }
        Processes.run(STEP, "umount", standbyMount.toString()).assertSuccess();
        standbyMounted = false;
        standbyLoop.close();
        standbyLoop = null;
        Fixtures.assertSameContent(mirror.primaryImage(), mirror.standbyImage());
    }
}
