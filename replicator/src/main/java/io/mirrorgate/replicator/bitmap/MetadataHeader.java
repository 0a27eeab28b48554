package io.mirrorgate.replicator.bitmap;

import io.mirrorgate.replicator.generation.Generations;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * One copy of the metadata header (see {@link MetadataFile} for where the copies live). All
 * integers little-endian; names UTF-8, NUL-padded. The epoch was added in the reserved area: a
 * file written before it reads as epoch 0.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 magic "MGMETA\r\n" (8 bytes)                  |   0
 *  +-------------------------------+-------------------------------+
 *  |         version (= 1)         |     slot size (= 512)         |   8
 *  +-------------------------------+-------------------------------+
 *  |         sequence (u64): the copy with the highest valid one   |  16
 *  +---------------------------------------------------------------+
 *  |                  resource uuid (16 bytes)                     |  24
 *  +---------------------------------------------------------------+
 *  |                  resource name (64 bytes)                     |  40
 *  +---------------------------------------------------------------+
 *  |                  this node's name (64 bytes)                  | 104
 *  +---------------------------------------------------------------+
 *  |                  peer node's name (64 bytes, "" = unknown)    | 168
 *  +---------------------------------------------------------------+
 *  |  generation local | syncedLocal | syncedPeer (3 x u64)       | 232
 *  +-------------------------------+-------------------------------+
 *  |  clean shutdown (u32, 0 / 1)  |        reserved (0)           | 256
 *  +-------------------------------+-------------------------------+
 *  |  region size | volume size | region count (3 x u64)          | 264
 *  +---------------------------------------------------------------+
 *  |  bitmap offset | bitmap length in bytes (2 x u64)            | 288
 *  +---------------------------------------------------------------+
 *  |  epoch (u64): the highest fencing epoch this replica has seen | 304
 *  +---------------------------------------------------------------+
 *  |                  reserved, zero (196 bytes)                   | 312
 *  +-------------------------------+-------------------------------+
 *  |                               | CRC32C of bytes 0..507 (u32)  | 508
 *  +-------------------------------+-------------------------------+
 * </pre>
 */
record MetadataHeader(long sequence, UUID uuid, String resource, String localNode, String peerNode,
        Generations generations, boolean clean, long regionSize, long volumeSize, long regionCount,
        long bitmapOffset, long bitmapLength, long epoch) {

    static final byte[] MAGIC = "MGMETA\r\n".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    static final int SIZE = 512;
    static final int NAME_BYTES = 64;
    private static final int CRC_OFFSET = SIZE - 4;

    MetadataHeader {
        for (String name : new String[] {resource, localNode, peerNode}) {
            if (name.getBytes(StandardCharsets.UTF_8).length >= NAME_BYTES) {
                throw new IllegalArgumentException("name too long for the metadata header: " + name
                        + " (expected: at most " + (NAME_BYTES - 1) + " bytes)");
            }
        }
    }

    MetadataHeader withSequence(long next) {
        return new MetadataHeader(next, uuid, resource, localNode, peerNode, generations, clean, regionSize,
                volumeSize, regionCount, bitmapOffset, bitmapLength, epoch);
    }

    MetadataHeader withGenerations(Generations g) {
        return new MetadataHeader(sequence, uuid, resource, localNode, peerNode, g, clean, regionSize,
                volumeSize, regionCount, bitmapOffset, bitmapLength, epoch);
    }

    MetadataHeader withClean(boolean c) {
        return new MetadataHeader(sequence, uuid, resource, localNode, peerNode, generations, c, regionSize,
                volumeSize, regionCount, bitmapOffset, bitmapLength, epoch);
    }

    MetadataHeader withEpoch(long e) {
        return new MetadataHeader(sequence, uuid, resource, localNode, peerNode, generations, clean, regionSize,
                volumeSize, regionCount, bitmapOffset, bitmapLength, e);
    }

    MetadataHeader withUuid(UUID u) {
        return new MetadataHeader(sequence, u, resource, localNode, peerNode, generations, clean, regionSize,
                volumeSize, regionCount, bitmapOffset, bitmapLength, epoch);
    }

    MetadataHeader withPeerNode(String peer) {
        return new MetadataHeader(sequence, uuid, resource, localNode, peer, generations, clean, regionSize,
                volumeSize, regionCount, bitmapOffset, bitmapLength, epoch);
    }

    /** The 512 bytes of this header copy, checksum included. */
    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putInt(VERSION).putInt(SIZE).putLong(sequence);
        b.putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits());
        putName(b, resource);
        putName(b, localNode);
        putName(b, peerNode);
        b.putLong(generations.local()).putLong(generations.syncedLocal()).putLong(generations.syncedPeer());
        b.putInt(clean ? 1 : 0).putInt(0);
        b.putLong(regionSize).putLong(volumeSize).putLong(regionCount);
        b.putLong(bitmapOffset).putLong(bitmapLength);
        b.putLong(epoch);
        b.putInt(CRC_OFFSET, crc(b.array()));
        return b.array();
    }

    /**
     * Decodes one header copy. Throws {@link IllegalArgumentException} with the reason (bad magic,
     * unsupported version, checksum mismatch) when the copy is not valid.
     */
    static MetadataHeader decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[MAGIC.length];
        b.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new IllegalArgumentException("bad magic " + printable(magic) + " (expected: "
                    + printable(MAGIC) + ", a Mirrorgate metadata file)");
        }
        int version = b.getInt();
        if (version != VERSION) {
            throw new IllegalArgumentException("unsupported version " + version + " (expected: " + VERSION + ")");
        }
        int stored = b.getInt(CRC_OFFSET);
        int actual = crc(bytes);
        if (stored != actual) {
            throw new IllegalArgumentException(String.format(
                    "header checksum mismatch: stored %08x, computed %08x", stored, actual));
        }
        int slotSize = b.getInt();
        if (slotSize != SIZE) {
            throw new IllegalArgumentException("header size " + slotSize + " (expected: " + SIZE + ")");
        }
        long sequence = b.getLong();
        UUID uuid = new UUID(b.getLong(), b.getLong());
        String resource = getName(b);
        String local = getName(b);
        String peer = getName(b);
        Generations g = new Generations(b.getLong(), b.getLong(), b.getLong());
        boolean clean = b.getInt() == 1;
        b.getInt();
        return new MetadataHeader(sequence, uuid, resource, local, peer, g, clean, b.getLong(), b.getLong(),
                b.getLong(), b.getLong(), b.getLong(), b.getLong());
    }

    private static int crc(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, CRC_OFFSET);
        return (int) crc.getValue();
    }

    private static void putName(ByteBuffer b, String name) {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        b.put(utf8).put(new byte[NAME_BYTES - utf8.length]);
    }

    private static String getName(ByteBuffer b) {
        byte[] raw = new byte[NAME_BYTES];
        b.get(raw);
        int len = 0;
        while (len < raw.length && raw[len] != 0) {
            len++;
        }
        return new String(raw, 0, len, StandardCharsets.UTF_8);
    }

    private static String printable(byte[] bytes) {
        StringBuilder sb = new StringBuilder("\"");
        for (byte x : bytes) {
            sb.append(x >= 0x20 && x < 0x7f ? String.valueOf((char) x) : String.format("\\x%02x", x & 0xff));
        }
        return sb.append('"').toString();
    }
}
