package io.mirrorgate.replicator.bitmap;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicLong;
import net.openhft.chronicle.bytes.MappedBytes;
import net.openhft.chronicle.bytes.MappedBytesStore;
import net.openhft.chronicle.core.OS;
import net.openhft.posix.MSyncFlag;
import net.openhft.posix.PosixAPI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The memory mapping of an open {@link MetadataFile}: the bitmap's bits, set and cleared in
 * place, the range of bitmap bytes changed since the last sync, and the msync (or fdatasync) that
 * makes a range of the file durable, for the bitmap and the header copies alike. Thread-safe.
 *
 * <p>Durability: chronicle's {@code MappedBytes.sync()} is not usable here: its default mode is
 * MS_ASYNC, and it remembers how far it synced (it is made for append-only files), so a rewritten
 * bit below that mark is never synced again, and an msync failure is only logged (checked with
 * strace on chronicle-bytes 2026.4). So the dirty pages are synced with chronicle's own
 * {@link PosixAPI#msync} and {@link MSyncFlag#MS_SYNC} on exactly the changed page range, and a
 * failed msync is an {@link ErrorCode#EIO} failure. If chronicle falls back to its no-op POSIX
 * layer, {@link FileChannel#force} (fdatasync, which on Linux also writes back pages dirtied
 * through a shared mapping) is used instead.
 */
final class MappedBitmap {
    private static final Logger LOG = LoggerFactory.getLogger(MappedBitmap.class);
    /** The most bitmap bytes written at once when every region is marked. */
    static final int FULL_CHUNK = 1 << 20;

    private final Path path;
    private final FileChannel channel;
    private final MappedBytes mapped;
    private final MappedBytesStore store;
    private final boolean msyncAvailable;
    private final long regionCount;
    private final AtomicLong syncs = new AtomicLong();
    private final Object lock = new Object();
    private long dirtyFrom = Long.MAX_VALUE;
    private long dirtyTo = Long.MIN_VALUE;
    private volatile boolean closed;

    /** Takes ownership of {@code channel} and {@code mapped}, the file at {@code path}. */
    MappedBitmap(Path path, FileChannel channel, MappedBytes mapped, long regionCount) {
        this.path = path;
        this.channel = channel;
        this.mapped = mapped;
        this.store = (MappedBytesStore) mapped.bytesStore();
        this.regionCount = regionCount;
        this.msyncAvailable = !PosixAPI.posix().getClass().getSimpleName().startsWith("NoOp");
        if (!msyncAvailable) {
            LOG.warn("chronicle POSIX layer unavailable, syncing with fdatasync path={}", path);
        }
    }

    /** Bitmap bytes from {@code from} (at most 1 MiB) with every region's bit set, none past the last. */
    static byte[] fullChunk(long from, long bitmapLength, long regionCount) {
        byte[] bits = new byte[(int) Math.min(FULL_CHUNK, bitmapLength - from)];
        for (int i = 0; i < bits.length; i++) {
            long region = (from + i) * 8;
            long left = regionCount - region;
            bits[i] = left >= 8 ? (byte) 0xff : left <= 0 ? 0 : (byte) ((1 << left) - 1);
        }
        return bits;
    }

    /** Whether region {@code region} is marked in the mapping (durable or not yet). */
    boolean isMarked(long region) {
        synchronized (lock) {
            return (store.readByte(MetadataFile.BITMAP_OFFSET + (region >>> 3)) & (1 << (region & 7))) != 0;
        }
    }

    /** Sets or clears the bit of {@code region}; durable after the next {@link #sync}. */
    void setMarked(long region, boolean marked) {
        long offset = MetadataFile.BITMAP_OFFSET + (region >>> 3);
        synchronized (lock) {
            checkOpen();
            byte b = store.readByte(offset);
            byte bit = (byte) (1 << (region & 7));
            store.writeByte(offset, (byte) (marked ? b | bit : b & ~bit));
            dirtyFrom = Math.min(dirtyFrom, offset);
            dirtyTo = Math.max(dirtyTo, offset + 1);
        }
    }

    /** Sets the bit of every region; durable after the next {@link #sync}. */
    void setAllMarked() {
        long length = MetadataFile.bitmapLength(regionCount);
        synchronized (lock) {
            checkOpen();
            for (long done = 0; done < length; done += FULL_CHUNK) {
                byte[] bits = fullChunk(done, length, regionCount);
                store.write(MetadataFile.BITMAP_OFFSET + done, bits, 0, bits.length);
            }
            dirtyFrom = MetadataFile.BITMAP_OFFSET;
            dirtyTo = Math.max(dirtyTo, MetadataFile.BITMAP_OFFSET + length);
        }
    }

    /** The marks in the mapping: bit r set when region r is marked. */
    BitSet readMarks() {
        byte[] bytes = new byte[(int) MetadataFile.bitmapLength(regionCount)];
        synchronized (lock) {
            checkOpen();
            store.read(MetadataFile.BITMAP_OFFSET, bytes, 0, bytes.length);
        }
        return BitSet.valueOf(bytes);
    }

    /** The changed bitmap bytes since the last take, as {from, to}; null when nothing changed. */
    long[] takeDirtyRange() {
        synchronized (lock) {
            if (dirtyFrom > dirtyTo) {
                return null;
            }
            long[] range = {dirtyFrom, dirtyTo};
            dirtyFrom = Long.MAX_VALUE;
            dirtyTo = Long.MIN_VALUE;
            return range;
        }
    }

    /** Puts back a range whose sync failed, so that the next sync covers it again. */
    void restoreDirtyRange(long[] range) {
        synchronized (lock) {
            dirtyFrom = Math.min(dirtyFrom, range[0]);
            dirtyTo = Math.max(dirtyTo, range[1]);
        }
    }

    /** Makes {@code range} (from {@link #takeDirtyRange}) durable; blocks for the msync. */
    void sync(long[] range) {
        if (range != null) {
            syncRange(range[0], range[1] - range[0]);
        }
    }

    /** Writes {@code bytes} at {@code offset} of the file (a header copy) and makes them durable. */
    void writeDurably(long offset, byte[] bytes) {
        checkOpen();
        store.write(offset, bytes, 0, bytes.length);
        syncRange(offset, bytes.length);
    }

    /** Syncs done so far (bitmap and header); a counter for metrics and tests. */
    long syncCount() {
        return syncs.get();
    }

    private void syncRange(long offset, long length) {
        long page = OS.pageSize();
        long from = offset / page * page;
        long to = MetadataFile.roundUp(offset + length, page);
        try {
            if (msyncAvailable) {
                int rc = PosixAPI.posix().msync(store.addressForRead(from), to - from, MSyncFlag.MS_SYNC);
                if (rc != 0) {
                    throw new IOException("msync: " + PosixAPI.posix().lastErrorStr() + " (rc=" + rc + ")");
                }
            } else {
                channel.force(false);
            }
            syncs.incrementAndGet();
        } catch (IOException e) {
            throw new MirrorgateException(ErrorCode.EIO, "metadata sync failed: " + path + " bytes " + from
                    + ".." + to + ": " + e.getMessage(), e);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new MirrorgateException(ErrorCode.ESHUTDOWN, "metadata file closed: " + path);
        }
    }

    /** Refuses every later use; false when already closed. Then {@link #release} unmaps. */
    boolean markClosed() {
        synchronized (lock) {
            if (closed) {
                return false;
            }
            closed = true;
            return true;
        }
    }

    /** Unmaps and closes the file, after {@link #markClosed}. */
    void release() {
        try {
            mapped.releaseLast();
        } finally {
            FileSync.close(channel, path);
        }
    }
}
