package io.mirrorgate.common.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CountersTest {
    private enum Name { REQUESTS, BYTES, ERRORS }

    @Test
    void countsFromManyThreadsAddUpExactly() throws Exception {
        Counters<Name> counters = new Counters<>(Name.class);
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++) {
                done.add(threads.submit(() -> {
                    for (int i = 0; i < 100_000; i++) {
                        counters.increment(Name.REQUESTS);
                        counters.add(Name.BYTES, 4096);
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
        assertEquals(400_000, counters.get(Name.REQUESTS));
        assertEquals(400_000L * 4096, counters.get(Name.BYTES));
        assertEquals(0, counters.get(Name.ERRORS));
    }

    @Test
    void aSnapshotNamesEveryCounterInTheEnumsOrder() {
        Counters<Name> counters = new Counters<>(Name.class);
        counters.increment(Name.ERRORS);
        Map<Name, Long> all = counters.snapshot();
        assertEquals(List.of(Name.REQUESTS, Name.BYTES, Name.ERRORS), List.copyOf(all.keySet()));
        assertEquals(List.of(0L, 0L, 1L), List.copyOf(all.values()));
        assertEquals("{REQUESTS=0, BYTES=0, ERRORS=1}", counters.toString());
    }
}
