package io.mirrorgate.replicator.bitmap;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.common.error.Reasons;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fine map of a resource ({@link OwedBlocks}' partly owed regions), persisted lazily next to
 * its metadata file ({@code <metadata>.owed}): written only at a clean shutdown, just before the
 * clean flag ({@link MetadataFile#markCleanShutdown}), never on the write path. It is stamped
 * with the resource UUID and the header sequence number that the clean header gets, so it is
 * trusted only when the metadata was closed cleanly right after it was written; anything else
 * (missing, torn, stale: an unclean shutdown, a later run, another resource) is ignored and
 * every marked region is owed whole, which is always safe (the invariant holds at region level).
 *
 * <pre>
 *  offset 0                          8            12           16
 *         +--------------------------+------------+------------+
 *         | magic "MGOWED\r\n"       | version 1  | block size |
 *         +--------------------------+------------+------------+
 *      16 | resource uuid (16 bytes)                            |
 *      32 | header sequence (u64) of the clean shutdown         |
 *      40 | region size (u64)                                   |
 *      48 | region count (u32)        | entries (u32)           |
 *      56 | entry: region (u32), then words x u64 of its blocks |  words = ceil(regionSize/4096/64)
 *         | ... entries in increasing region order              |
 *         | CRC32C (u32) of every byte before it                |
 *         +-----------------------------------------------------+
 * </pre>
 * All integers little-endian; block b of a region is bit b%64 of word b/64 (LSB first). The file
 * is written to a temporary name, synced, renamed over the old one, and the directory synced.
 */
public final class OwedBlocksFile {
    private static final Logger LOG = LoggerFactory.getLogger(OwedBlocksFile.class);
    private static final byte[] MAGIC = "MGOWED\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;
    private static final int HEADER = 56;
    /** Refuse to read anything larger: a fine map of 2^31 regions of 4 MiB is below this. */
    private static final long MAX_BYTES = 1L << 40;

    private OwedBlocksFile() {}

    /** Where the fine map of the metadata file {@code metadata} lives. */
    public static Path pathFor(Path metadata) {
        return metadata.resolveSibling(metadata.getFileName() + ".owed");
    }

    /**
     * At open, before the metadata is marked running: narrows the whole-owed regions of {@code
     * owed} to the blocks of the fine map, when the last shutdown was clean and the map belongs
     * to it. Returns the number of regions narrowed.
     */
    static int restore(MetadataFile file, OwedBlocks owed) {
        if (!file.wasCleanShutdown() || owed.count() == 0) {
            return 0;
        }
        Path path = pathFor(file.path());
        int narrowed = 0;
        for (Map.Entry<Integer, BitSet> e : read(path, file.uuid(), file.headerSequence(), file.regionSize(),
                Math.toIntExact(file.regionCount())).orElse(Map.of()).entrySet()) {
            narrowed += owed.narrow(e.getKey(), e.getValue()) ? 1 : 0;
        }
        return narrowed;
    }

    /**
     * At a clean close, with the sequence number of the clean header to come: stores {@code
     * partial} (the regions with writes still in flight left out by the caller). A failure does
     * not keep the shutdown from being clean (the marks are exact either way): it is logged, and
     * the next open, finding no map for its stamp, owes every marked region whole.
     */
    static void store(MetadataFile file, long sequence, Map<Integer, BitSet> partial) {
        Path path = pathFor(file.path());
        try {
            write(path, file.uuid(), sequence, file.regionSize(), Math.toIntExact(file.regionCount()), partial);
        } catch (MirrorgateException e) {
            LOG.error("fine owed map not written path={} partlyOwedRegions={} reason=\"{}\": the next open owes"
                    + " every marked region whole", path, partial.size(), e.getMessage());
        }
    }

    /** Writes {@code partial} durably, stamped with {@code uuid} and {@code sequence}. */
    static void write(Path path, UUID uuid, long sequence, long regionSize, int regionCount,
            Map<Integer, BitSet> partial) {
        int words = words(regionSize);
        long size = HEADER + (long) partial.size() * (4 + 8L * words) + 4;
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(size)).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putInt(VERSION).putInt(OwedBlocks.BLOCK);
        b.putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits());
        b.putLong(sequence).putLong(regionSize).putInt(regionCount).putInt(partial.size());
        for (Map.Entry<Integer, BitSet> e : new TreeMap<>(partial).entrySet()) {
            b.putInt(e.getKey());
            long[] bits = Arrays.copyOf(e.getValue().toLongArray(), words);
            for (long w : bits) {
                b.putLong(w);
            }
        }
        b.putInt(crc(b.array(), b.position()));
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            b.flip();
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        } catch (IOException e) {
            throw new MirrorgateException(ErrorCode.EIO, "cannot write the fine owed map " + tmp + ": "
                    + Reasons.fileReason(e), e);
        }
        try {
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new MirrorgateException(ErrorCode.EIO, "cannot rename " + tmp + " to " + path + ": "
                    + Reasons.fileReason(e), e);
        }
        FileSync.syncDirectory(path);
    }

    /**
     * The partly owed regions stored at {@code path} when the file is valid and stamped with
     * {@code uuid} and {@code sequence} for this geometry; empty otherwise (the reason is logged:
     * the caller then owes every marked region whole).
     */
    static Optional<Map<Integer, BitSet>> read(Path path, UUID uuid, long sequence, long regionSize,
            int regionCount) {
        byte[] bytes;
        try {
            if (Files.size(path) > MAX_BYTES) {
                return ignored(path, "file of " + Files.size(path) + " bytes");
            }
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            LOG.info("no fine owed map path={}: every marked region is owed whole", path);
            return Optional.empty();
        } catch (IOException e) {
            return ignored(path, "unreadable: " + Reasons.fileReason(e));
        }
        String problem = check(bytes, uuid, sequence, regionSize, regionCount);
        if (problem != null) {
            return ignored(path, problem);
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int entries = b.getInt(52);
        int words = words(regionSize);
        b.position(HEADER);
        Map<Integer, BitSet> out = new HashMap<>();
        for (int i = 0; i < entries; i++) {
            int region = b.getInt();
            long[] bits = new long[words];
            for (int w = 0; w < words; w++) {
                bits[w] = b.getLong();
            }
            if (region < 0 || region >= regionCount) {
                return ignored(path, "region " + region + " (expected: below " + regionCount + ")");
            }
            out.put(region, BitSet.valueOf(bits));
        }
        return Optional.of(out);
    }

    /** What is wrong with {@code bytes}, or null when they are a fine map for this stamp. */
    private static String check(byte[] bytes, UUID uuid, long sequence, long regionSize, int regionCount) {
        if (bytes.length < HEADER + 4) {
            return "truncated: " + bytes.length + " bytes";
        }
        if (!Arrays.equals(Arrays.copyOf(bytes, MAGIC.length), MAGIC)) {
            return "bad magic (expected: a Mirrorgate fine owed map)";
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int stored = b.getInt(bytes.length - 4);
        int actual = crc(bytes, bytes.length - 4);
        if (stored != actual) {
            return String.format("checksum mismatch: stored %08x, computed %08x (torn write?)", stored, actual);
        }
        if (b.getInt(8) != VERSION || b.getInt(12) != OwedBlocks.BLOCK) {
            return "version " + b.getInt(8) + " block size " + b.getInt(12) + " (expected: " + VERSION
                    + ", " + OwedBlocks.BLOCK + ")";
        }
        UUID fileUuid = new UUID(b.getLong(16), b.getLong(24));
        if (!fileUuid.equals(uuid)) {
            return "resource uuid " + fileUuid + " (expected: " + uuid + ")";
        }
        if (b.getLong(32) != sequence) {
            return "stale: header sequence " + b.getLong(32) + " (expected: " + sequence
                    + ", the clean shutdown this map was written for)";
        }
        if (b.getLong(40) != regionSize || b.getInt(48) != regionCount) {
            return "geometry " + b.getLong(40) + " x " + b.getInt(48) + " (expected: " + regionSize + " x "
                    + regionCount + ")";
        }
        long expected = HEADER + (long) b.getInt(52) * (4 + 8L * words(regionSize)) + 4;
        if (b.getInt(52) < 0 || expected != bytes.length) {
            return "length " + bytes.length + " for " + b.getInt(52) + " entries (expected: " + expected + ")";
        }
        return null;
    }

    private static Optional<Map<Integer, BitSet>> ignored(Path path, String reason) {
        LOG.warn("fine owed map ignored path={} reason=\"{}\": every marked region is owed whole", path, reason);
        return Optional.empty();
    }

    private static int words(long regionSize) {
        long blocks = Math.max(1, regionSize / OwedBlocks.BLOCK);
        return (int) ((blocks + 63) / 64);
    }

    private static int crc(byte[] bytes, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return (int) crc.getValue();
    }
}
