package io.mirrorgate.replicator.resync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The resync rate limiter against a simulated clock: a copier that always has more to send
 * takes tokens, waits what it is told, sends, and the bytes sent in every 200 ms window are
 * within 10% of the rate.
 */
class TokenBucketTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long WINDOW = 200 * MS;

    /** A clock the test moves. */
    private static final class FakeClock {
        long now = 1_000_000_000L;
    }

    /** One grant: at what time how many bytes went out. */
    record Grant(long atNanos, long bytes) {}

    /** A copier that sends {@code chunk}-byte requests as fast as the bucket lets it, for {@code nanos}. */
    private static List<Grant> copy(TokenBucket bucket, FakeClock clock, long chunk, long nanos) {
        List<Grant> grants = new ArrayList<>();
        long end = clock.now + nanos;
        while (clock.now < end) {
            clock.now += bucket.take(chunk);
            grants.add(new Grant(clock.now, chunk));
        }
        return grants;
    }

    /** Bytes sent in [from, from + WINDOW). */
    private static long sentIn(List<Grant> grants, long from) {
        return grants.stream().filter(g -> g.atNanos() >= from && g.atNanos() < from + WINDOW)
                .mapToLong(Grant::bytes).sum();
    }

    private static void assertEveryWindowWithin10Percent(List<Grant> grants, long rate, long from, long to) {
        double expected = rate * (WINDOW / 1e9);
        for (long start = from; start + WINDOW <= to; start += MS) {
            long sent = sentIn(grants, start);
            double ratio = sent / expected;
            long at = (start - from) / MS;
            assertTrue(ratio <= 1.10 && ratio >= 0.90, "window at +" + at + " ms: " + sent
                    + " bytes sent, " + (long) expected + " expected at " + rate + " bytes/s (" + ratio + ")");
        }
    }

    @Test
    void theDemosRateHoldsWithin10PercentOverEvery200msWindowFromTheStart() {
        long rate = 48L << 20;
        FakeClock clock = new FakeClock();
        TokenBucket bucket = new TokenBucket(rate, () -> clock.now);
        long start = clock.now;
        List<Grant> grants = copy(bucket, clock, 1 << 20, 3_000 * MS);
        assertEveryWindowWithin10Percent(grants, rate, start, clock.now);
        // 24 MiB, the demo's degraded writes, take half a second, not an instant
        assertTrue(grants.get(23).atNanos() - start >= 450 * MS,
                "24 MiB sent in " + (grants.get(23).atNanos() - start) / MS + " ms at 48 MiB/s");
    }

    @Test
    void smallAndLargeRequestsAtOtherRatesHoldTheRateToo() {
        long[][] cases = {{10L << 20, 64 << 10}, {100L << 20, 1 << 20}, {400L << 20, 4 << 20}};
        for (long[] c : cases) {
            FakeClock clock = new FakeClock();
            TokenBucket bucket = new TokenBucket(c[0], () -> clock.now);
            long start = clock.now;
            List<Grant> grants = copy(bucket, clock, c[1], 2_000 * MS);
            assertEveryWindowWithin10Percent(grants, c[0], start, clock.now);
        }
    }

    @Test
    void anIdleBucketSavesNoMoreThanABriefBurst() {
        long rate = 48L << 20;
        FakeClock clock = new FakeClock();
        TokenBucket bucket = new TokenBucket(rate, () -> clock.now);
        copy(bucket, clock, 1 << 20, 500 * MS);
        clock.now += 5_000 * MS; // idle for five seconds: no five seconds of budget
        long resumed = clock.now;
        List<Grant> grants = copy(bucket, clock, 1 << 20, 1_000 * MS);
        long sent = sentIn(grants, resumed);
        assertTrue(sent <= 1.10 * rate * (WINDOW / 1e9), sent + " bytes in the first 200 ms after idling");
        assertEveryWindowWithin10Percent(grants, rate, resumed, clock.now);
    }

    @Test
    void rateZeroIsUnlimited() {
        TokenBucket bucket = new TokenBucket(0, () -> 0);
        for (int i = 0; i < 1000; i++) {
            assertEquals(0, bucket.take(1 << 30));
        }
    }

    @Test
    void refundedTokensShortenTheWaitOfWhoeverTookTheNextBytes() {
        long rate = 1L << 20; // 1 MiB/s: 1 MiB of debt is a second
        FakeClock clock = new FakeClock();
        TokenBucket bucket = new TokenBucket(rate, () -> clock.now);
        assertEquals(0, bucket.take(1L << 20), "the first region goes at once");
        long wait = bucket.take(1L << 20);
        assertTrue(wait >= 999 * MS, "the second waits for the first's bytes: " + wait);
        assertEquals(wait, bucket.waitBefore(1L << 20));
        bucket.refund(1L << 20); // the first region was all holes
        assertEquals(0, bucket.waitBefore(1L << 20), "the second may go now");
        assertTrue(bucket.take(0) >= 999 * MS, "its own bytes are still owed");
        bucket.refund(4L << 20);
        assertEquals(0, bucket.take(0), "a refund saves at most the burst, never more than the debt");
        assertTrue(bucket.take(1L << 20) == 0 && bucket.take(0) > 990 * MS);
    }
}
