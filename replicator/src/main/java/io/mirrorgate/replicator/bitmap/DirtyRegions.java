package io.mirrorgate.replicator.bitmap;

import java.util.concurrent.CompletableFuture;

/**
 * What the mirror needs of the dirty-region bitmap. The volume is cut into regions of {@link
 * #regionSize()} bytes; a region is <em>marked</em> on disk while the two replicas may differ
 * in it.
 *
 * <p>The invariant (replicator/README.md, "The dirty-region bitmap"): after a crash of any node
 * at any moment, copying the regions marked on disk makes both replicas identical. Hence:
 * <ul>
 *   <li>{@link #beginWrite} completes only when every region the write touches is marked on
 *       disk (already marked: at once, no metadata I/O);</li>
 *   <li>a region is unmarked on disk only when no write into it is in flight, the peer is not
 *       owed it, and both replicas hold it durably ({@link #bothDurable} was called after its
 *       last write ended);</li>
 *   <li>recently written regions stay marked (an activity set), so steady writing does not
 *       cost a metadata sync per write.</li>
 * </ul>
 *
 * <p>A region is <em>owed</em> when the peer lacks its data: written while the peer was away,
 * marked at start-up after a crash, or marked by a full sync. Owed regions are what resync
 * copies; they stay marked until {@link #markSynced}. Within an owed region, what the peer lacks
 * may be known per 4 KiB block ({@link #owedRanges}): writes that did not reach the peer owe
 * their blocks only; the other causes owe the whole region.
 */
public interface DirtyRegions extends AutoCloseable {

    /** Bytes per region (a power of two). */
    long regionSize();

    /** Number of regions covering the volume. */
    long regionCount();

    /**
     * Announces a write (or trim, or write-zeroes) into {@code [offset, offset + length)}. The
     * future completes once every touched region is marked on disk; only then may the data be
     * issued to either replica. Every call is paired with one {@link #endWrite}.
     */
    CompletableFuture<Void> beginWrite(long offset, long length);

    /**
     * A write announced by {@link #beginWrite} has ended. {@code replicated} is true when the
     * peer acknowledged it; false when the peer did not (the regions become owed).
     */
    void endWrite(long offset, long length, boolean replicated);

    /**
     * Both replicas have made every write that ended before this call durable (a flush
     * succeeded on both). Idle, replicated regions may now be unmarked on disk, lazily.
     * Racy when writes end while the flushes run: prefer {@link #bothDurable(long)}.
     */
    void bothDurable();

    /**
     * The position in the history of ended writes, to take <em>before</em> issuing the flushes
     * of both replicas; pass it to {@link #bothDurable(long)} once both succeeded.
     */
    long durabilityMark();

    /**
     * Every write that ended before the {@link #durabilityMark()} call that returned {@code
     * mark} is durable on both replicas. The race-free form of {@link #bothDurable()}: a write
     * that ends while the flushes run is not counted as durable.
     */
    void bothDurable(long mark);

    /** Whether the peer is owed region {@code region}. */
    boolean isOwed(long region);

    /** Number of owed regions. */
    long owedCount();

    /** The first owed region at or after {@code fromRegion}, or -1 if none. */
    long nextOwed(long fromRegion);

    /**
     * What the peer is owed in {@code region}: byte ranges in order, adjacent 4 KiB blocks
     * coalesced; the whole region when it is owed without finer knowledge; empty when not owed.
     * Stable while the caller holds the mirror's lock on the region (writes end before their lock
     * is released). This default knows regions only (and does not clip the last region to the
     * volume's end: the resync clips every range to the region it copies).
     */
    default java.util.List<OwedRange> owedRanges(long region) {
        if (!isOwed(region)) {
            return java.util.List.of();
        }
        long offset = region * regionSize();
        return java.util.List.of(new OwedRange(offset, regionSize()));
    }

    /** The bytes {@link #owedRanges} covers. */
    default long owedBytes(long region) {
        return isOwed(region) ? regionSize() : 0;
    }

    /** The bytes owed in all: what a resync starting now would copy. */
    default long owedBytes() {
        long bytes = 0;
        for (long r = nextOwed(0); r >= 0; r = nextOwed(r + 1)) {
            bytes += owedBytes(r);
        }
        return bytes;
    }

    /**
     * Resync copied {@code region} and both replicas hold it durably: it is no longer owed and
     * may be unmarked on disk.
     */
    void markSynced(long region);

    /** Marks every region owed, durably (full sync, or a resolved split brain). */
    void markAllOwed();

    /**
     * Marks {@code regions} owed, durably (the peer's marked regions at a rejoin). Blocks until
     * durable. The regions are owed whole. This default announces each region as a one-byte write
     * that did not reach the peer: an implementation that tracks blocks must override it.
     */
    default void markOwed(java.util.BitSet regions) {
        long size = regionSize();
        for (int r = regions.nextSetBit(0); r >= 0 && r < regionCount(); r = regions.nextSetBit(r + 1)) {
            long offset = r * size;
            beginWrite(offset, 1).join();
            endWrite(offset, 1, false);
        }
    }

    /** Unmarks the activity set's idle regions, syncs the file, and releases it. Idempotent. */
    @Override
    void close();
}
