package io.mirrorgate.replicator.bitmap;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.common.error.Reasons;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;

/** Reading and validating a metadata file with plain file I/O, before (or without) mapping it. */
final class MetadataLayout {
    private MetadataLayout() {}

    /**
     * The newest valid header copy of {@code path}, after checking that the geometry it records is
     * consistent and matches the file's size. Errors say what is wrong and where.
     */
    static MetadataHeader readHeader(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return readHeader(path, ch);
        } catch (NoSuchFileException e) {
            throw new MirrorgateException(ErrorCode.ENOENT, path + ": no metadata file (expected: one made by "
                    + "'replicator create RESOURCE')", e);
        } catch (IOException e) {
            throw new MirrorgateException(ErrorCode.EIO, path + ": cannot read metadata: " + Reasons.fileReason(e), e);
        }
    }

    private static MetadataHeader readHeader(Path path, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < MetadataFile.BITMAP_OFFSET) {
            throw invalid(path, "file is " + size + " bytes (expected: at least " + MetadataFile.BITMAP_OFFSET
                    + ", a Mirrorgate metadata file)");
        }
        MetadataHeader best = null;
        String[] problems = new String[2];
        for (int slot = 0; slot < 2; slot++) {
            try {
                MetadataHeader h = MetadataHeader.decode(read(ch, (long) slot * MetadataHeader.SIZE,
                        MetadataHeader.SIZE));
                if (best == null || h.sequence() > best.sequence()) {
                    best = h;
                }
            } catch (IllegalArgumentException e) {
                problems[slot] = e.getMessage();
            }
        }
        if (best == null) {
            String reason = problems[0].equals(problems[1]) || problems[0].startsWith("bad magic")
                    ? problems[0] : "copy A: " + problems[0] + "; copy B: " + problems[1];
            throw invalid(path, "no valid header: " + reason);
        }
        checkGeometry(path, best, size);
        return best;
    }

    private static void checkGeometry(Path path, MetadataHeader h, long fileSize) {
        long rs = h.regionSize();
        if (rs < 512 || Long.bitCount(rs) != 1) {
            throw invalid(path, "region size " + rs + " (expected: a power of two, at least 512)");
        }
        long expectedCount = h.volumeSize() <= 0 ? -1 : (h.volumeSize() + rs - 1) / rs;
        if (h.regionCount() != expectedCount || h.regionCount() > Integer.MAX_VALUE) {
            throw invalid(path, "region count " + h.regionCount() + " (expected: " + expectedCount
                    + " for volume size " + h.volumeSize() + " and region size " + rs + ")");
        }
        if (h.bitmapOffset() != MetadataFile.BITMAP_OFFSET
                || h.bitmapLength() != MetadataFile.bitmapLength(h.regionCount())) {
            throw invalid(path, "bitmap at " + h.bitmapOffset() + " length " + h.bitmapLength() + " (expected: "
                    + MetadataFile.BITMAP_OFFSET + " length " + MetadataFile.bitmapLength(h.regionCount()) + ")");
        }
        long expectedSize = MetadataFile.fileSize(h.regionCount());
        if (fileSize != expectedSize) {
            throw invalid(path, "file is " + fileSize + " bytes (expected: " + expectedSize
                    + " for " + h.regionCount() + " regions; truncated or extended?)");
        }
    }

    static MetadataSnapshot inspect(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MetadataHeader h = readHeader(path, ch);
            BitSet marked = BitSet.valueOf(read(ch, MetadataFile.BITMAP_OFFSET, (int) h.bitmapLength()));
            return new MetadataSnapshot(path, h.uuid(), h.resource(), h.localNode(), h.peerNode(), h.generations(),
                    h.clean(), h.regionSize(), h.volumeSize(), h.regionCount(), marked, h.epoch());
        } catch (NoSuchFileException e) {
            throw new MirrorgateException(ErrorCode.ENOENT, path + ": no metadata file", e);
        } catch (IOException e) {
            throw new MirrorgateException(ErrorCode.EIO, path + ": cannot read metadata: " + Reasons.fileReason(e), e);
        }
    }

    private static byte[] read(FileChannel ch, long offset, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        while (buf.hasRemaining()) {
            if (ch.read(buf, offset + buf.position()) < 0) {
                throw new IOException("unexpected end of file at " + (offset + buf.position()));
            }
        }
        return buf.array();
    }

    private static MirrorgateException invalid(Path path, String problem) {
        return new MirrorgateException(ErrorCode.EINVAL, path + ": invalid metadata: " + problem);
    }

}
