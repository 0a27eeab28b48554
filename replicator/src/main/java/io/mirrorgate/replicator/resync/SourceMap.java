package io.mirrorgate.replicator.resync;

import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.server.device.Extent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The allocation of a region of the sync source, as a copy follows it: the source's extents
 * from the region's start to its end, asked again where a device answered only a part (devices
 * bound their work per call). A source that cannot tell (an error, or an answer that does not
 * start where it was asked) is copied as data from there on: never wrong, only slower.
 */
final class SourceMap {
    private SourceMap() {}

    /** The extents of {@code [offset, offset + length)}; the future never fails. */
    static CompletableFuture<List<Extent>> of(BlockDevice source, long offset, long length) {
        CompletableFuture<List<Extent>> result = new CompletableFuture<>();
        collect(source, offset, offset + length, new ArrayList<>(), result);
        return result;
    }

    /** The bytes of {@code extents} (up to {@code end}) that read as zeroes. */
    static long zeroBytes(List<Extent> extents, long end) {
        long bytes = 0;
        for (Extent e : extents) {
            bytes += e.allocation().readsZero() ? Math.min(e.end(), end) - e.offset() : 0;
        }
        return bytes;
    }

    private static void collect(BlockDevice source, long pos, long end, List<Extent> found,
            CompletableFuture<List<Extent>> result) {
        CompletableFuture<List<Extent>> part;
        try {
            part = source.extents(pos, end - pos);
        } catch (RuntimeException e) {
            part = CompletableFuture.failedFuture(e);
        }
        part.whenComplete((list, error) -> {
            boolean usable = error == null && list != null && !list.isEmpty()
                    && list.get(0).offset() == pos;
            if (usable) {
                for (Extent e : list) {
                    if (e.offset() >= end) {
                        break;
                    }
                    found.add(e);
                }
            }
            long next = found.isEmpty() ? pos : found.get(found.size() - 1).end();
            if (usable && next < end) {
                collect(source, next, end, found, result);
                return;
            }
            if (!usable) {
                found.add(new Extent(pos, end - pos, Extent.Allocation.DATA));
            }
            result.complete(found);
        });
    }
}
