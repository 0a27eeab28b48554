package io.mirrorgate.replicator.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.replicator.generation.GenerationStore;
import io.mirrorgate.replicator.generation.Generations;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.testing.CapturedLog;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ApartPeriodTest {
    /** A store whose writes fail while {@code failing} is set. */
    private static final class Store implements GenerationStore {
        final AtomicBoolean failing = new AtomicBoolean(true);
        volatile Generations stored = new Generations(3, 3, 3);

        @Override
        public Generations generations() {
            return stored;
        }

        @Override
        public void storeGenerations(Generations generations) {
            if (failing.get()) {
                throw new MirrorgateException(ErrorCode.EIO, "metadata: msync failed");
            }
            stored = generations;
        }
    }

    @Test
    void aFailedRaiseIsLoggedEvenWhenNobodyWaitsForItAndTheNextWriteRetries() throws Exception {
        Store store = new Store();
        ApartPeriod period = new ApartPeriod("r0", store, Runnable::run);
        try (CapturedLog log = new CapturedLog()) {
            CompletableFuture<Void> first = period.raised();
            assertThrows(ExecutionException.class, () -> first.get(10, TimeUnit.SECONDS));
            assertTrue(log.lines().stream().anyMatch(l -> l.contains("cannot raise the local generation device=r0")
                    && l.contains("msync failed")), log.lines().toString());
        }
        store.failing.set(false);
        period.raised().get(10, TimeUnit.SECONDS);
        assertEquals(new Generations(4, 3, 3), store.stored);
    }
}
