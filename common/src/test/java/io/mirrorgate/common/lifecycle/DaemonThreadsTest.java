package io.mirrorgate.common.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class DaemonThreadsTest {
    @Test
    void aThreadSaysWhatItIsByItsNameAndIsADaemon() {
        Thread t = DaemonThreads.named("resync-r0").newThread(() -> { });
        assertEquals("resync-r0", t.getName());
        assertTrue(t.isDaemon());
    }

    @Test
    void poolThreadsAreNumbered() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2, DaemonThreads.numbered("replicator-control"));
        try {
            String name = CompletableFuture.supplyAsync(() -> Thread.currentThread().getName(), pool)
                    .get(5, TimeUnit.SECONDS);
            assertTrue(name.matches("replicator-control-[12]"), name);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void startRunsTheTaskOnANamedDaemonThread() throws Exception {
        CompletableFuture<String> ran = new CompletableFuture<>();
        Thread t = DaemonThreads.start("heartbeat-receiver", () -> ran.complete(Thread.currentThread().getName()));
        assertEquals("heartbeat-receiver", ran.get(5, TimeUnit.SECONDS));
        assertTrue(t.isDaemon());
        t.join(5_000);
    }
}
