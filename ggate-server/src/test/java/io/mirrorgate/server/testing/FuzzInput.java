package io.mirrorgate.server.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * What the fuzz tests feed the decoders: arbitrary bytes, or valid wire bytes mutated (bytes
 * flipped, set to 0x00/0xff, cut, repeated), always cut into fragments of random sizes; and an
 * allocator that records the largest buffer a decoder asked for.
 */
public final class FuzzInput {
    private FuzzInput() {}

    /** {@code valid} (one of the seeds, or random bytes) mutated by a seeded random. */
    public static Arbitrary<byte[]> mutated(List<byte[]> seeds) {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(2048);
        Arbitrary<byte[]> seeded = Combinators.combine(Arbitraries.of(seeds), Arbitraries.longs())
                .as(FuzzInput::mutate);
        return Arbitraries.oneOf(random, seeded);
    }

    /** {@code data} split at random points (seeded by {@code seed}). */
    public static List<byte[]> fragments(byte[] data, long seed) {
        Random random = new Random(seed);
        List<byte[]> out = new ArrayList<>();
        int at = 0;
        while (at < data.length) {
            int n = 1 + random.nextInt(Math.min(data.length - at, random.nextBoolean() ? 7 : 700));
            out.add(Arrays.copyOfRange(data, at, at + n));
            at += n;
        }
        return out;
    }

    static byte[] mutate(byte[] valid, long seed) {
        Random random = new Random(seed);
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
