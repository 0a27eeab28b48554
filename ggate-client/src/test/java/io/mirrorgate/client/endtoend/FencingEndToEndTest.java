package io.mirrorgate.client.endtoend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.client.cli.GgateClientMain;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.nbdclient.NbdClient;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.GgateServerProcess;
import io.mirrorgate.server.testing.JavaProcess;
import io.mirrorgate.server.testing.ProcessGroup;
import io.mirrorgate.server.testing.TestData;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fencing through real processes: once an attach presents a newer {@code --epoch}, the older
 * attachment's writes are refused and never reach the image, and the server remembers the epoch
 * across a restart (its state directory), refusing a stale attach with exit 77.
 */
@EndToEnd
class FencingEndToEndTest {
    private static final long SIZE = 16L * 1024 * 1024;
    private static final int BLOCK = 64 * 1024;

    @RegisterExtension
    final ProcessGroup processes = new ProcessGroup();
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aNewerEpochFencesTheOlderAttachmentAndSurvivesAServerRestart() throws Exception {
        Path image = TestData.sparseFile(dir.resolve("disk.img"), SIZE);
        Path run = dir.resolve("run");
        GgateServerProcess server = GgateServerProcess.start(processes, dir,
                List.of("127.0.0.1 RW " + image));
        AttachProcess old = AttachProcess.start(processes, dir, "attach-epoch1", run,
                server.keyFile(), server.ggateAddress(), image.toString(), "--epoch", "1");
        byte[] first = TestData.randomBytes(1, BLOCK);
        byte[] stale = TestData.randomBytes(2, BLOCK);
        byte[] current = TestData.randomBytes(3, BLOCK);
        try (NbdClient oldNbd = old.connect()) {
            oldNbd.write(0, first, true);

            AttachProcess newer = AttachProcess.start(processes, dir, "attach-epoch2", run,
                    server.keyFile(), server.ggateAddress(), image.toString(), "--epoch", "2");
            try (NbdClient newNbd = newer.connect()) {
                newNbd.write(BLOCK, current, true);
            }
            MirrorgateException fenced = assertThrows(MirrorgateException.class,
                    () -> oldNbd.write(BLOCK, stale, true), "the fenced attachment may not write");
            assertEquals(ErrorCode.EPERM, fenced.code(), fenced::toString);
        }
        assertEquals(TestData.sha256(first), TestData.sha256(image, 0, BLOCK));
        assertEquals(TestData.sha256(current), TestData.sha256(image, BLOCK, BLOCK),
                "the fenced write never reached the image");

        assertEquals(0, server.terminate(), server.process()::story);
        server.restart();
        JavaProcess staleAttach = processes.start("attach-stale", dir, GgateClientMain.class,
                AttachProcess.arguments(run, server.keyFile(), server.ggateAddress(),
                        image.toString(), "--epoch", "1"));
        assertEquals(77, staleAttach.waitFor(Duration.ofSeconds(30)), staleAttach::story);
        assertTrue(staleAttach.stderr().contains("epoch 1 is older than 2"), staleAttach::story);
    }
}
