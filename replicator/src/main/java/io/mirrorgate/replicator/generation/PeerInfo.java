package io.mirrorgate.replicator.generation;

import io.mirrorgate.replicator.config.Role;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.Objects;
import java.util.UUID;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;

/**
 * What two replicators tell each other when the primary connects (the payload of the ggate
 * {@code PEER_INFO} request, and of its reply): the resource's identity, the sender's role,
 * epoch and generations, and its marked regions (where its replica may differ from the other),
 * LZ4-compressed. All integers big-endian.
 *
 * <pre>
 *  0               1               2               3
 * +---------------+---------------+---------------+---------------+
 * |        version (u16 = 1)      |   role (u8)   |  flags (u8)   |
 * +---------------+---------------+---------------+---------------+
 * |                  resource uuid (16 bytes)                     |
 * +---------------------------------------------------------------+
 * |                  epoch (u64)                                  |
 * +---------------------------------------------------------------+
 * |  generation local | syncedLocal | syncedPeer (3 x u64)        |
 * +---------------------------------------------------------------+
 * |                  region size (u64)                            |
 * +---------------------------------------------------------------+
 * |                  region count (u32)                           |
 * +-------------------------------+-------------------------------+
 * |  node length (u16)            |  node (UTF-8) ...             |
 * +-------------------------------+-------------------------------+
 * |  bitmap bytes, uncompressed (u32) | compressed length (u32)   |
 * +---------------------------------------------------------------+
 * |  LZ4 block of the marked-regions bitmap (BitSet.toByteArray)  |
 * +---------------------------------------------------------------+
 * </pre>
 * Roles: 1 primary, 2 secondary. Flags: bit 0 "fenced" (a primary that learned it was
 * superseded).
 *
 * @param uuid the resource UUID of the sender's metadata
 * @param node the sender's node name
 * @param role the sender's role now
 * @param fenced whether the sender is a fenced primary
 * @param epoch the highest epoch the sender has seen
 * @param generations the sender's generations
 * @param regionSize the sender's bitmap region size
 * @param regionCount the sender's number of regions
 * @param marked the sender's marked regions
 */
public record PeerInfo(UUID uuid, String node, Role role, boolean fenced, long epoch,
        Generations generations, long regionSize, int regionCount, BitSet marked) {

    static final int VERSION = 1;
    private static final int MAX_NODE_BYTES = 1024;
    private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();

    public PeerInfo {
        Objects.requireNonNull(uuid, "uuid");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(generations, "generations");
        marked = (BitSet) marked.clone();
    }

    @Override
    public BitSet marked() {
        return (BitSet) marked.clone();
    }

    /** Whether this replica never completed a sync with any peer (its data means nothing yet). */
    public boolean blank() {
        return generations.syncedPeer() == 0;
    }

    /** The wire form. */
    public byte[] encode() {
        byte[] nodeBytes = node.getBytes(StandardCharsets.UTF_8);
        if (nodeBytes.length > MAX_NODE_BYTES) {
            throw new IllegalArgumentException("node: " + nodeBytes.length + " bytes (expected: <= "
                    + MAX_NODE_BYTES + ")");
        }
        byte[] bitmap = marked.toByteArray();
        byte[] packed = LZ4.fastCompressor().compress(bitmap);
        ByteBuffer b = ByteBuffer.allocate(4 + 16 + 8 + 24 + 8 + 4 + 2 + nodeBytes.length + 8 + packed.length)
                .order(ByteOrder.BIG_ENDIAN);
        b.putShort((short) VERSION).put((byte) (role == Role.PRIMARY ? 1 : 2)).put((byte) (fenced ? 1 : 0));
        b.putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits());
        b.putLong(epoch);
        b.putLong(generations.local()).putLong(generations.syncedLocal()).putLong(generations.syncedPeer());
        b.putLong(regionSize).putInt(regionCount);
        b.putShort((short) nodeBytes.length).put(nodeBytes);
        b.putInt(bitmap.length).putInt(packed.length).put(packed);
        return b.array();
    }

    /**
     * Decodes a peer's information; a malformed one fails with {@code EPROTO} and says what is
     * wrong (nothing else is done with it).
     */
    public static PeerInfo decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
        try {
            int version = Short.toUnsignedInt(b.getShort());
            if (version != VERSION) {
                throw malformed("version " + version + " (expected: " + VERSION + ")");
            }
            int roleCode = Byte.toUnsignedInt(b.get());
            Role role = switch (roleCode) {
                case 1 -> Role.PRIMARY;
                case 2 -> Role.SECONDARY;
                default -> throw malformed("role " + roleCode + " (expected: 1 primary or 2 secondary)");
            };
            boolean fenced = (b.get() & 1) != 0;
            UUID uuid = new UUID(b.getLong(), b.getLong());
            long epoch = b.getLong();
            Generations generations = new Generations(b.getLong(), b.getLong(), b.getLong());
            long regionSize = b.getLong();
            int regionCount = b.getInt();
            if (regionSize <= 0 || Long.bitCount(regionSize) != 1 || regionCount < 0) {
                throw malformed("region size " + regionSize + ", count " + regionCount
                        + " (expected: a power of two and a count >= 0)");
            }
            int nodeLength = Short.toUnsignedInt(b.getShort());
            if (nodeLength > MAX_NODE_BYTES) {
                throw malformed("node: " + nodeLength + " bytes (expected: <= " + MAX_NODE_BYTES + ")");
            }
            byte[] nodeBytes = new byte[nodeLength];
            b.get(nodeBytes);
            int bitmapLength = b.getInt();
            int packedLength = b.getInt();
            long maxBitmap = ((long) regionCount + 7) / 8;
            if (bitmapLength < 0 || bitmapLength > maxBitmap || packedLength != b.remaining()) {
                throw malformed("bitmap of " + bitmapLength + " bytes in " + packedLength
                        + " (expected: <= " + maxBitmap + " bytes in the " + b.remaining() + " left)");
            }
            byte[] packed = new byte[packedLength];
            b.get(packed);
            byte[] bitmap = LZ4.safeDecompressor().decompress(packed, bitmapLength);
            if (bitmap.length != bitmapLength) {
                throw malformed("bitmap decompressed to " + bitmap.length + " bytes (expected: "
                        + bitmapLength + ")");
            }
            return new PeerInfo(uuid, new String(nodeBytes, StandardCharsets.UTF_8), role, fenced, epoch,
                    generations, regionSize, regionCount, BitSet.valueOf(bitmap));
        } catch (BufferUnderflowException e) {
            throw malformed("truncated at byte " + b.position() + " of " + bytes.length);
        } catch (LZ4Exception e) {
            throw malformed("bitmap does not decompress: " + e.getMessage());
        }
    }

    private static MirrorgateException malformed(String what) {
        return new MirrorgateException(ErrorCode.EPROTO, "malformed peer information: " + what);
    }
}
