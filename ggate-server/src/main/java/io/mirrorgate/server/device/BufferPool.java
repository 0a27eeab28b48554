package io.mirrorgate.server.device;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;

/**
 * The allocator of the large direct buffers that carry block data (device reads, frames being
 * received): Netty's pooled allocator with 16 MiB chunks instead of its default 4 MiB. Netty frees
 * a chunk that empties, and the memory of the next one comes back from the kernel as fresh pages,
 * each one faulted in and zeroed on first touch. A 4 MiB chunk holds three 1 MiB frames; a
 * mirror or an attachment holds its frames while the peer answers, so such chunks emptied and were
 * replaced all the time, and a third of a 1 MiB write stream landed in fresh pages (60,000 page
 * faults a second). A 16 MiB chunk outlives the frames in flight of a busy connection.
 */
public final class BufferPool {
    /** Chunks of 8 KiB pages << 11 = 16 MiB. */
    private static final int MAX_ORDER = 11;

    /** The shared allocator (direct buffers preferred; Netty's default arenas and caches). */
    public static final ByteBufAllocator ALLOCATOR = new PooledByteBufAllocator(true,
            PooledByteBufAllocator.defaultNumHeapArena(), PooledByteBufAllocator.defaultNumDirectArena(),
            PooledByteBufAllocator.defaultPageSize(), MAX_ORDER,
            PooledByteBufAllocator.defaultSmallCacheSize(), PooledByteBufAllocator.defaultNormalCacheSize(),
            PooledByteBufAllocator.defaultUseCacheForAllThreads());

    private BufferPool() {}
}
