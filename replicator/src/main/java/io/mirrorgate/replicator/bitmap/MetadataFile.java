package io.mirrorgate.replicator.bitmap;

import io.mirrorgate.replicator.generation.GenerationStore;
import io.mirrorgate.replicator.generation.Generations;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.common.error.Reasons;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;
import java.util.UUID;
import net.openhft.chronicle.bytes.MappedBytes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A resource's metadata file: two copies of the header ({@link MetadataHeader}: identity,
 * {@link Generations}, clean-shutdown flag, geometry) and the dirty-region bitmap, memory-mapped
 * with chronicle-bytes.
 *
 * <pre>
 *  offset 0        512       1024                 4096                      4096 + bitmap length
 *         +---------+---------+--------------------+--------------------------+---- (4 KiB pad)
 *         | header  | header  |   zero             |  bitmap: 1 bit / region  |
 *         | copy A  | copy B  |                    |  region r = byte r/8,    |
 *         |         |         |                    |  bit r%8 (LSB first)     |
 *         +---------+---------+--------------------+--------------------------+
 *  file size = 4096 + (ceil(regionCount / 8) rounded up to 8, then to 4096)
 * </pre>
 *
 * <p>Header updates are written to the copy with the older sequence number, with sequence + 1,
 * then synced: a torn header write leaves the other copy valid, and {@link #open} takes the
 * valid copy with the highest sequence. Bitmap bits are written in place; a set bit is durable
 * once {@link #sync} (or {@link #markDurably}) returns.
 *
 * <p>Durability: the changed page range is synced with {@code msync(MS_SYNC)}, a failed msync is
 * an {@link ErrorCode#EIO} failure ({@link MappedBitmap}, which holds the mapping, says why not
 * chronicle's own sync).
 *
 * <p>An open metadata file holds an exclusive advisory lock on it: a second replicator (or a
 * {@code create --force}) on the same resource is refused. Thread-safe. Header methods block on an
 * msync: never call them on an event loop.
 */
public final class MetadataFile implements GenerationStore, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetadataFile.class);

    /** Where the bitmap starts. */
    public static final long BITMAP_OFFSET = 4096;
    private static final long ALIGN = 4096;

    private final Path path;
    private final MappedBitmap bitmap;
    private final boolean wasClean;
    private final long regionCount;
    private MetadataHeader header;

    private MetadataFile(Path path, MappedBitmap bitmap, MetadataHeader header) {
        this.path = path;
        this.bitmap = bitmap;
        this.header = header;
        this.wasClean = header.clean();
        this.regionCount = header.regionCount();
    }

    /** The bitmap length in bytes for {@code regionCount} regions (whole 8-byte words). */
    static long bitmapLength(long regionCount) {
        return ((regionCount + 63) / 64) * 8;
    }

    /** The size of a metadata file for {@code regionCount} regions. */
    public static long fileSize(long regionCount) {
        return BITMAP_OFFSET + roundUp(bitmapLength(regionCount), ALIGN);
    }

    static long roundUp(long value, long align) {
        return (value + align - 1) / align * align;
    }

    /**
     * Creates a new metadata file at {@code path} (which must not exist) for a volume of {@code
     * volumeSize} bytes: every region marked (the first connection is a full sync), {@link
     * Generations#initial()}, clean shutdown. The file is synced, as is its directory.
     */
    public static void create(Path path, String resource, String localNode, long volumeSize, long regionSize) {
        if (regionSize < 512 || Long.bitCount(regionSize) != 1) {
            throw new MirrorgateException(ErrorCode.EINVAL, "region size " + regionSize
                    + " (expected: a power of two, at least 512)");
        }
        if (volumeSize <= 0) {
            throw new MirrorgateException(ErrorCode.EINVAL, "volume size " + volumeSize + " of " + resource
                    + " (expected: > 0; is the local replica empty?)");
        }
        long regionCount = (volumeSize + regionSize - 1) / regionSize;
        if (regionCount > Integer.MAX_VALUE) {
            throw new MirrorgateException(ErrorCode.EINVAL, "volume of " + volumeSize + " bytes needs "
                    + regionCount + " regions of " + regionSize + " bytes (expected: at most "
                    + Integer.MAX_VALUE + "; use a larger region_size)");
        }
        MetadataHeader h = new MetadataHeader(1, UUID.randomUUID(), resource, localNode, "",
                Generations.initial(), true, regionSize, volumeSize, regionCount, BITMAP_OFFSET,
                bitmapLength(regionCount), 0);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            write(ch, 0, h.encode());
            write(ch, MetadataHeader.SIZE, h.withSequence(0).encode());
            for (long done = 0; done < h.bitmapLength(); done += MappedBitmap.FULL_CHUNK) {
                write(ch, BITMAP_OFFSET + done, MappedBitmap.fullChunk(done, h.bitmapLength(), regionCount));
            }
            ch.truncate(fileSize(regionCount));
            write(ch, fileSize(regionCount) - 1, new byte[1]);
            ch.force(true);
        } catch (IOException e) {
            throw new MirrorgateException(ErrorCode.EIO, "cannot create metadata file " + path + ": " + Reasons.fileReason(e), e);
        }
        FileSync.syncDirectory(path);
        LOG.info("metadata created path={} resource={} volumeSize={} regionSize={} regions={}", path,
                resource, volumeSize, regionSize, regionCount);
    }

    private static void write(FileChannel ch, long offset, byte[] bytes) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
            ch.write(buf, offset + buf.position());
        }
    }

    /**
     * Opens and validates the metadata file of a local replica of {@code volumeSize} bytes: magic,
     * version, header checksum (the newer valid copy wins), geometry and file size. Nothing is
     * written: see {@link PersistentDirtyRegions#open} for opening it to run.
     */
    public static MetadataFile open(Path path, long volumeSize) {
        MetadataHeader h = MetadataLayout.readHeader(path);
        if (h.volumeSize() != volumeSize) {
            throw new MirrorgateException(ErrorCode.EINVAL, path + ": volume size " + h.volumeSize()
                    + " recorded in the metadata differs from the local replica's size " + volumeSize
                    + " (expected: equal; was the device resized? recreate the metadata with create --force)");
        }
        FileChannel ch = null;
        MappedBytes mb = null;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            lockExclusively(ch, path);
            mb = MappedBytes.singleMappedBytes(path.toFile(), fileSize(h.regionCount()));
            mb.singleThreadedCheckDisabled(true);
            return new MetadataFile(path, new MappedBitmap(path, ch, mb, h.regionCount()), h);
        } catch (IOException | RuntimeException e) {
            if (mb != null) {
                mb.releaseLast();
            }
            FileSync.closeQuietlyAfter(e, ch);
            throw e instanceof MirrorgateException ? (MirrorgateException) e
                    : new MirrorgateException(ErrorCode.EIO, "cannot map metadata file " + path + ": " + Reasons.fileReason(e), e);
        }
    }

    /**
     * Takes the advisory lock that says "a replicator uses this file", held until the channel
     * closes (the kernel drops it when the process dies).
     */
    static void lockExclusively(FileChannel ch, Path path) throws IOException {
        boolean locked;
        try {
            locked = ch.tryLock() != null;
        } catch (OverlappingFileLockException e) {
            locked = false;
        }
        if (!locked) {
            throw new MirrorgateException(ErrorCode.EACCES, path + ": metadata in use by another replicator "
                    + "(expected: one process per resource; is the daemon running?)");
        }
    }

    /**
     * Fails when a replicator holds the lock of the metadata file open on {@code ch}; the probe's
     * own lock is released when {@code ch} closes.
     */
    public static void checkNotInUse(FileChannel ch, Path path) throws IOException {
        lockExclusively(ch, path);
    }

    /** Reads the header and marks of a metadata file without opening it for use (status, tests). */
    public static MetadataSnapshot inspect(Path path) {
        return MetadataLayout.inspect(path);
    }

    public Path path() {
        return path;
    }

    public synchronized UUID uuid() {
        return header.uuid();
    }

    public synchronized String resource() {
        return header.resource();
    }

    public synchronized String localNode() {
        return header.localNode();
    }

    /** The peer's node name as last stored, "" when not known yet. */
    public synchronized String peerNode() {
        return header.peerNode();
    }

    public synchronized long regionSize() {
        return header.regionSize();
    }

    public synchronized long volumeSize() {
        return header.volumeSize();
    }

    public long regionCount() {
        return regionCount;
    }

    /** The clean-shutdown flag as found when the file was opened. */
    public boolean wasCleanShutdown() {
        return wasClean;
    }

    /** Metadata syncs done so far (bitmap and header); a counter for metrics and tests. */
    public long syncCount() {
        return bitmap.syncCount();
    }

    @Override
    public synchronized Generations generations() {
        return header.generations();
    }

    @Override
    public synchronized void storeGenerations(Generations generations) {
        storeHeader(header.withGenerations(generations));
    }

    /** The highest fencing epoch this replica has seen (its own when it was promoted). */
    public synchronized long epoch() {
        return header.epoch();
    }

    /** Stores the highest epoch seen, durably. */
    public synchronized void storeEpoch(long epoch) {
        storeHeader(header.withEpoch(epoch));
    }

    /** Adopts the resource UUID of the primary (a blank secondary at its first sync), durably. */
    public synchronized void storeUuid(UUID uuid) {
        storeHeader(header.withUuid(uuid));
    }

    /** Stores the peer's node name (learned at connection), durably. */
    public synchronized void storePeerNode(String peer) {
        storeHeader(header.withPeerNode(peer));
    }

    /** Records, durably, that the resource is in use: a crash from now on is an unclean shutdown. */
    synchronized void markRunning() {
        storeHeader(header.withClean(false));
    }

    /**
     * Records, durably, a clean shutdown: the marks on disk are exact. {@code beforeClean} runs
     * first, with the sequence number the clean header will have ({@link OwedBlocksFile} stamps
     * it): no other header update can come in between.
     */
    synchronized void markCleanShutdown(java.util.function.LongConsumer beforeClean) {
        beforeClean.accept(header.sequence() + 1);
        storeHeader(header.withClean(true));
    }

    /** The sequence number of the header copy in use. */
    synchronized long headerSequence() {
        return header.sequence();
    }

    private void storeHeader(MetadataHeader next) {
        MetadataHeader h = next.withSequence(header.sequence() + 1);
        long slot = (h.sequence() & 1) == 1 ? 0 : MetadataHeader.SIZE;
        bitmap.writeDurably(slot, h.encode());
        header = h;
    }

    /** Whether region {@code region} is marked in the mapping (durable or not yet). */
    boolean isMarked(long region) {
        return bitmap.isMarked(region);
    }

    /** Sets or clears the bit of {@code region}; durable after the next {@link #sync}. */
    void setMarked(long region, boolean marked) {
        bitmap.setMarked(region, marked);
    }

    /** Sets the bit of every region; durable after the next {@link #sync}. */
    void setAllMarked() {
        bitmap.setAllMarked();
    }

    /** The marks in the mapping: bit r set when region r is marked. */
    BitSet readMarks() {
        return bitmap.readMarks();
    }

    /** The changed bitmap bytes since the last take, as {from, to}; null when nothing changed. */
    long[] takeDirtyRange() {
        return bitmap.takeDirtyRange();
    }

    /** Puts back a range whose sync failed, so that the next sync covers it again. */
    void restoreDirtyRange(long[] range) {
        bitmap.restoreDirtyRange(range);
    }

    /** Makes {@code range} (from {@link #takeDirtyRange}) durable; blocks for the msync. */
    void sync(long[] range) {
        bitmap.sync(range);
    }

    /** Unmaps and closes the file. Idempotent. Does not change the clean-shutdown flag. */
    @Override
    public void close() {
        synchronized (this) { // after a header update in progress
            if (!bitmap.markClosed()) {
                return;
            }
        }
        bitmap.release();
    }
}
