package io.mirrorgate.client.endtoend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.nbdclient.NbdClient;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.GgateServerProcess;
import io.mirrorgate.server.testing.ProcessGroup;
import io.mirrorgate.server.testing.TestData;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to a {@code ggate-server} process while clients write (one through an attach process,
 * one on the server's NBD port): the server exits 0 and every write it acknowledged is in the
 * image file.
 */
@EndToEnd
class ServerShutdownEndToEndTest {
    private static final long SIZE = 256L * 1024 * 1024;
    private static final int BLOCK = 64 * 1024;
    private static final int SLOTS_PER_WRITER = 2048;

    @RegisterExtension
    final ProcessGroup processes = new ProcessGroup();
    @TempDir
    Path dir;

    /** Writes fresh blocks one after another, recording each acknowledged one, until a failure. */
    private static final class Writer extends Thread {
        final NbdClient nbd;
        final int firstSlot;
        final Map<Integer, String> acknowledged = new ConcurrentHashMap<>();
        final AtomicInteger count = new AtomicInteger();
        final AtomicReference<Exception> failure = new AtomicReference<>();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);

        Writer(String name, NbdClient nbd, int firstSlot) {
            super(name);
            this.nbd = nbd;
            this.firstSlot = firstSlot;
        }

        @Override
        public void run() {
            for (int i = 0; i < SLOTS_PER_WRITER && System.nanoTime() < deadline; i++) {
                int slot = firstSlot + i;
                byte[] data = TestData.randomBytes(slot, BLOCK);
                try {
                    nbd.write((long) slot * BLOCK, data, false);
                } catch (Exception e) {
                    failure.set(e);
                    return;
                }
                acknowledged.put(slot, TestData.sha256(data));
                count.incrementAndGet();
            }
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void sigtermWhileClientsWriteExitsZeroAndKeepsEveryAcknowledgedWrite() throws Exception {
        Path image = TestData.sparseFile(dir.resolve("disk.img"), SIZE);
        GgateServerProcess server = GgateServerProcess.start(processes, dir,
                List.of("127.0.0.1 RW " + image + " disk"));
        AttachProcess attach = AttachProcess.start(processes, dir, "attach", dir.resolve("run"),
                server.keyFile(), server.ggateAddress(), image.toString(), "--timeout", "3");

        try (NbdClient viaAttach = attach.connect();
                NbdClient direct = NbdClient.connect("127.0.0.1", server.nbdPort(), "disk")) {
            Writer a = new Writer("writer-attach", viaAttach, 0);
            Writer b = new Writer("writer-nbd", direct, SLOTS_PER_WRITER);
            a.start();
            b.start();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while ((a.count.get() < 50 || b.count.get() < 50) && System.nanoTime() < until
                    && a.failure.get() == null && b.failure.get() == null) {
                Thread.sleep(20);
            }
            assertTrue(a.count.get() >= 50 && b.count.get() >= 50, "both writers got going: "
                    + a.count + " " + b.count + " " + a.failure + " " + b.failure);

            assertEquals(0, server.terminate(), server.process()::story);
            a.join(30_000);
            b.join(30_000);
            assertFalse(a.isAlive() || b.isAlive(), "writers stop once the server is gone");
            assertTrue(b.count.get() < SLOTS_PER_WRITER && a.count.get() < SLOTS_PER_WRITER,
                    "the server stopped while both were writing: " + a.count + " " + b.count);
            assertTrue(a.failure.get() instanceof MirrorgateException m && m.code() == ErrorCode.EIO,
                    "the attached disk fails the write in flight with EIO: " + a.failure);
            assertTrue(b.failure.get() instanceof java.io.IOException,
                    "the server's NBD connection is closed: " + b.failure);

            for (Writer w : List.of(a, b)) {
                for (Map.Entry<Integer, String> e : w.acknowledged.entrySet()) {
                    assertEquals(e.getValue(), TestData.sha256(image, (long) e.getKey() * BLOCK, BLOCK),
                            w.getName() + ": acknowledged block " + e.getKey() + " in the image");
                }
            }
        }
    }
}
