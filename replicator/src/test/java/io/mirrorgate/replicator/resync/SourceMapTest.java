package io.mirrorgate.replicator.resync;

import static io.mirrorgate.server.testing.Futures.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mirrorgate.server.device.Extent;
import io.mirrorgate.server.device.Extent.Allocation;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.testing.ForwardingDevice;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** How a copy learns its region's allocation from sources that answer in parts, or not at all. */
class SourceMapTest {
    private static final long KIB = 1024;

    /** A source whose allocation alternates data and holes every 4 KiB, one extent per call. */
    private static final class OneExtentPerCall extends ForwardingDevice {
        int calls;

        OneExtentPerCall() {
            super(new MemoryBlockDevice(64 * KIB));
        }

        @Override
        public CompletableFuture<List<Extent>> extents(long offset, long length) {
            calls++;
            long n = Math.min(4 * KIB - offset % (4 * KIB), length);
            Allocation kind = (offset / (4 * KIB)) % 2 == 0 ? Allocation.DATA : Allocation.HOLE;
            return CompletableFuture.completedFuture(List.of(new Extent(offset, n, kind)));
        }
    }

    @Test
    void aSourceAnsweringInPartsIsAskedAgainUntilTheRegionIsCovered() {
        OneExtentPerCall source = new OneExtentPerCall();
        List<Extent> map = await(SourceMap.of(source, 8 * KIB, 16 * KIB));
        assertEquals(List.of(new Extent(8 * KIB, 4 * KIB, Allocation.DATA),
                new Extent(12 * KIB, 4 * KIB, Allocation.HOLE),
                new Extent(16 * KIB, 4 * KIB, Allocation.DATA),
                new Extent(20 * KIB, 4 * KIB, Allocation.HOLE)), map);
        assertEquals(4, source.calls);
        assertEquals(8 * KIB, SourceMap.zeroBytes(map, 24 * KIB));
    }

    @Test
    void aSourceThatCannotTellIsCopiedAsData() {
        ForwardingDevice failing = new ForwardingDevice(new MemoryBlockDevice(64 * KIB)) {
            @Override
            public CompletableFuture<List<Extent>> extents(long offset, long length) {
                return CompletableFuture.failedFuture(new MirrorgateException(ErrorCode.EIO, "no"));
            }
        };
        assertEquals(List.of(new Extent(0, 64 * KIB, Allocation.DATA)),
                await(SourceMap.of(failing, 0, 64 * KIB)));
        ForwardingDevice wrongStart = new ForwardingDevice(new MemoryBlockDevice(64 * KIB)) {
            @Override
            public CompletableFuture<List<Extent>> extents(long offset, long length) {
                return CompletableFuture.completedFuture(
                        List.of(new Extent(offset + 512, length - 512, Allocation.HOLE)));
            }
        };
        assertEquals(List.of(new Extent(0, 64 * KIB, Allocation.DATA)),
                await(SourceMap.of(wrongStart, 0, 64 * KIB)));
    }
}
