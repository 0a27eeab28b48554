package io.mirrorgate.replicator.resync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class SharedFlushTest {

    /** A target whose flushes complete only when the test says so. */
    private static final class HeldFlushes implements BlockDevice {
        final List<CompletableFuture<Void>> flushes = new ArrayList<>();

        @Override
        public String name() {
            return "held-flushes";
        }

        @Override
        public long size() {
            return 1 << 20;
        }

        @Override
        public int blockSize() {
            return 512;
        }

        @Override
        public boolean isReadOnly() {
            return false;
        }

        @Override
        public CompletableFuture<ByteBuf> read(long offset, int length) {
            throw new UnsupportedOperationException("read");
        }

        @Override
        public CompletableFuture<Void> write(long offset, ByteBuf data, boolean fua) {
            throw new UnsupportedOperationException("write");
        }

        @Override
        public synchronized CompletableFuture<Void> flush() {
            CompletableFuture<Void> f = new CompletableFuture<>();
            flushes.add(f);
            return f;
        }

        @Override
        public CompletableFuture<Void> trim(long offset, long length) {
            throw new UnsupportedOperationException("trim");
        }

        @Override
        public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
            throw new UnsupportedOperationException("writeZeroes");
        }

        @Override
        public void close() {
        }
    }

    @Test
    @Timeout(10)
    void aRequestIsAnsweredOnlyByAFlushIssuedAfterIt() {
        HeldFlushes target = new HeldFlushes();
        SharedFlush shared = new SharedFlush(target);
        List<String> done = new ArrayList<>();

        shared.request(e -> done.add("a"));
        assertEquals(1, target.flushes.size(), "the first request flushes at once");
        shared.request(e -> done.add("b"));
        shared.request(e -> done.add("c"));
        assertEquals(1, target.flushes.size(), "later requests wait for the next flush");

        target.flushes.get(0).complete(null);
        assertEquals(List.of("a"), done, "b and c came after flush 1 was issued");
        assertEquals(2, target.flushes.size(), "one flush for b and c together");

        target.flushes.get(1).complete(null);
        assertEquals(List.of("a", "b", "c"), done);
        shared.request(e -> done.add("d"));
        assertEquals(3, target.flushes.size(), "idle again: the next request flushes at once");
    }

    @Test
    @Timeout(10)
    void aFailedFlushFailsEveryRequestItAnswers() {
        HeldFlushes target = new HeldFlushes();
        SharedFlush shared = new SharedFlush(target);
        List<Throwable> errors = new ArrayList<>();
        MirrorgateException failure = new MirrorgateException(ErrorCode.EIO, "flush failed");

        shared.request(errors::add);
        shared.request(errors::add);
        target.flushes.get(0).complete(null);
        target.flushes.get(1).completeExceptionally(failure);

        assertNull(errors.get(0));
        assertSame(failure, errors.get(1));
        assertEquals(2, errors.size());
    }
}
