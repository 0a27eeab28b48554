package io.mirrorgate.server.testing;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The fuzz tests' inputs: arbitrary bytes, or valid wire bytes mutated (bytes flipped, set to
 * 0x00/0xff, cut, repeated), cut into fragments of random sizes; and an allocator that records the
 * largest buffer a decoder asked for. Every case comes from one seed, printed when a case fails,
 * so that {@code -Dmirrorgate.fuzz.seed=S -Dmirrorgate.fuzz.tries=1} replays it.
 * {@code -Dmirrorgate.fuzz.tries=N} sets the number of cases per test (default 500; a long run:
 * 1000000).
 */
public final class FuzzInput {
    private FuzzInput() {}

    /** One case: its seed, its input, and the input cut into fragments. */
    public record Case(long seed, byte[] input, List<byte[]> fragments, Random random) {}

    /** What a fuzz test checks of one case. */
    public interface Check {
        void accept(Case c) throws Exception;
    }

    /** The number of cases per test. */
    public static int tries() {
        return Integer.getInteger("mirrorgate.fuzz.tries", 500);
    }

    /**
     * Runs {@code check} on {@link #tries()} cases: half random bytes (up to {@code maxRandom}),
     * half one of {@code seeds} mutated. A failure names the case's seed.
     */
    public static void forEach(List<byte[]> seeds, int maxRandom, Check check) {
        long first = Long.getLong("mirrorgate.fuzz.seed", new Random().nextLong());
        for (int i = 0; i < tries(); i++) {
            long seed = first + i;
            Random random = new Random(seed);
            byte[] input;
            if (seeds.isEmpty() || random.nextBoolean()) {
                input = new byte[random.nextInt(maxRandom + 1)];
                random.nextBytes(input);
            } else {
                input = mutate(seeds.get(random.nextInt(seeds.size())), random);
            }
            try {
                check.accept(new Case(seed, input, fragments(input, random), random));
            } catch (Exception | AssertionError e) {
                throw new AssertionError("fuzz case failed, replay with -Dmirrorgate.fuzz.seed=" + seed
                        + " -Dmirrorgate.fuzz.tries=1: " + e, e);
            }
        }
    }

    /** {@code data} split at random points. */
    public static List<byte[]> fragments(byte[] data, Random random) {
        List<byte[]> out = new ArrayList<>();
        int at = 0;
        while (at < data.length) {
            int n = 1 + random.nextInt(Math.min(data.length - at, random.nextBoolean() ? 7 : 700));
            out.add(Arrays.copyOfRange(data, at, at + n));
            at += n;
        }
        return out;
    }

    /** {@code valid} with up to three edits. */
    public static byte[] mutate(byte[] valid, Random random) {
        byte[] b = valid.clone();
        int edits = random.nextInt(4);
        for (int i = 0; i < edits && b.length > 0; i++) {
            int at = random.nextInt(b.length);
            switch (random.nextInt(5)) {
                case 0 -> b[at] ^= (byte) (1 << random.nextInt(8));
                case 1 -> b[at] = (byte) 0xff;
                case 2 -> b[at] = 0;
                case 3 -> b = Arrays.copyOf(b, at);
                default -> {
                    byte[] twice = Arrays.copyOf(b, b.length * 2);
                    System.arraycopy(b, 0, twice, b.length, b.length);
                    b = twice;
                }
            }
        }
        return b;
    }

    /** An unpooled allocator that remembers the largest capacity asked for. */
    public static final class TrackingAllocator extends AbstractByteBufAllocator {
        private final AtomicLong largest = new AtomicLong();

        public TrackingAllocator() {
            super(false);
        }

        public long largest() {
            return largest.get();
        }

        private void note(int capacity) {
            largest.accumulateAndGet(capacity, Math::max);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            note(initialCapacity);
            return Unpooled.buffer(initialCapacity, maxCapacity);
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            note(initialCapacity);
            return Unpooled.directBuffer(initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }
}
