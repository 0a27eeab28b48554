package io.mirrorgate.orchestrator.heartbeat;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The heartbeat packet: one UDP datagram, big-endian, authenticated by an HMAC-SHA256 trailer
 * computed with the shared key over every byte before it.
 *
 * <pre>
 *  0        4      5      6      7      8
 *  +--------+------+------+------+------+
 *  | "MGHB" | ver  | role | flags| nres |   ver = 1; role 0 unknown 1 primary 2 secondary;
 *  +--------+------+------+------+------+   flags bit 0 = wants failback
 *  |  8: incarnation (u64, ms)          |
 *  | 16: sequence (u64)                 |
 *  | 24: timestamp (u64, ms)            |
 *  | 32: epoch (u64)                    |
 *  +------------------------------------+
 *  | 40: node: len (u8) + UTF-8         |   the sender
 *  |     peer: len (u8) + UTF-8         |   the addressee
 *  |     nres x { name: len + UTF-8,    |
 *  |       role (u8), epoch (u64),      |
 *  |       state: len + UTF-8 }         |
 *  +------------------------------------+
 *  | HMAC-SHA256 (32 bytes)             |
 *  +------------------------------------+
 * </pre>
 *
 * The HMAC is checked (in constant time) before any field is parsed; a packet with a bad HMAC,
 * an unknown magic or version, or fields that overrun it is refused with a {@link BadPacket}
 * that says which. Strings are at most {@value #MAX_STRING} bytes, packets at most {@value
 * #MAX_PACKET} bytes.
 */
public final class HeartbeatCodec {
    public static final int MAX_PACKET = 1400;
    static final int MAX_STRING = 63;
    static final int MAX_RESOURCES = 16;
    static final int HMAC_LENGTH = 32;
    static final int HEADER = 40;
    private static final byte[] MAGIC = {'M', 'G', 'H', 'B'};
    private static final byte VERSION = 1;

    private final SecretKeySpec key;

    public HeartbeatCodec(byte[] key) {
        if (key.length == 0) {
            throw new IllegalArgumentException("heartbeat key: empty (expected: a secret of at least one byte)");
        }
        this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
    }

    /** Why a packet was refused. */
    public static final class BadPacket extends Exception {
        private static final long serialVersionUID = 1L;
        private final boolean forged;

        BadPacket(String message, boolean forged) {
            super(message, null, false, false);
            this.forged = forged;
        }

        /** The HMAC did not match: forged, corrupted, or signed with another key. */
        public boolean forged() {
            return forged;
        }
    }

    public byte[] encode(HeartbeatMessage m) {
        if (m.resources().size() > MAX_RESOURCES) {
            throw new IllegalArgumentException("resources: " + m.resources().size() + " (expected: <= "
                    + MAX_RESOURCES + ")");
        }
        ByteBuffer b = ByteBuffer.allocate(MAX_PACKET);
        b.put(MAGIC).put(VERSION).put((byte) m.role().ordinal()).put((byte) (m.wantsFailback() ? 1 : 0))
                .put((byte) m.resources().size());
        b.putLong(m.incarnation()).putLong(m.sequence()).putLong(m.timestamp()).putLong(m.epoch());
        putString(b, m.node());
        putString(b, m.peer());
        for (HeartbeatMessage.ResourceState r : m.resources()) {
            putString(b, r.name());
            b.put((byte) r.role().ordinal()).putLong(r.epoch());
            putString(b, r.state());
        }
        if (b.remaining() < HMAC_LENGTH) {
            throw new IllegalArgumentException("heartbeat: more than " + MAX_PACKET + " bytes");
        }
        int length = b.position();
        b.put(hmac(b.array(), length));
        return Arrays.copyOf(b.array(), b.position());
    }

    public HeartbeatMessage decode(byte[] packet, int length) throws BadPacket {
        if (length < HEADER + 2 + HMAC_LENGTH || length > MAX_PACKET) {
            throw new BadPacket("length: " + length + " (expected: " + (HEADER + 2 + HMAC_LENGTH) + " to " + MAX_PACKET
                    + ")", false);
        }
        byte[] expected = hmac(packet, length - HMAC_LENGTH);
        byte[] actual = Arrays.copyOfRange(packet, length - HMAC_LENGTH, length);
        if (!MessageDigest.isEqual(expected, actual)) {
            throw new BadPacket("bad HMAC (forged, corrupted, or another key)", true);
        }
        ByteBuffer b = ByteBuffer.wrap(packet, 0, length - HMAC_LENGTH);
        try {
            byte[] magic = new byte[4];
            b.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new BadPacket("magic: not a heartbeat (expected: \"MGHB\")", false);
            }
            byte version = b.get();
            if (version != VERSION) {
                throw new BadPacket("version: " + version + " (expected: " + VERSION + ")", false);
            }
            NodeRole role = role(b.get());
            boolean wantsFailback = (b.get() & 1) != 0;
            int count = b.get() & 0xff;
            if (count > MAX_RESOURCES) {
                throw new BadPacket("resources: " + count + " (expected: <= " + MAX_RESOURCES + ")", false);
            }
            long incarnation = b.getLong();
            long sequence = b.getLong();
            long timestamp = b.getLong();
            long epoch = b.getLong();
            String node = getString(b);
            String peer = getString(b);
            List<HeartbeatMessage.ResourceState> resources = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                String name = getString(b);
                NodeRole r = role(b.get());
                long e = b.getLong();
                resources.add(new HeartbeatMessage.ResourceState(name, r, getString(b), e));
            }
            if (b.hasRemaining()) {
                throw new BadPacket("trailing bytes: " + b.remaining() + " (expected: none before the HMAC)", false);
            }
            return new HeartbeatMessage(node, peer, incarnation, sequence, timestamp, role, epoch, wantsFailback,
                    resources);
        } catch (BufferUnderflowException e) {
            throw new BadPacket("truncated: a field runs past the end of the packet", false);
        }
    }

    private byte[] hmac(byte[] data, int length) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update(data, 0, length);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }

    private static NodeRole role(byte b) throws BadPacket {
        if (b < 0 || b >= NodeRole.values().length) {
            throw new BadPacket("role: " + b + " (expected: 0 to " + (NodeRole.values().length - 1) + ")", false);
        }
        return NodeRole.values()[b];
    }

    private static void putString(ByteBuffer b, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_STRING) {
            throw new IllegalArgumentException("\"" + s + "\": " + bytes.length + " bytes (expected: <= "
                    + MAX_STRING + ")");
        }
        b.put((byte) bytes.length).put(bytes);
    }

    private static String getString(ByteBuffer b) throws BadPacket {
        int length = b.get() & 0xff;
        if (length > MAX_STRING || length > b.remaining()) {
            throw new BadPacket("string length: " + length + " (expected: <= " + Math.min(MAX_STRING, b.remaining())
                    + ")", false);
        }
        byte[] bytes = new byte[length];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
