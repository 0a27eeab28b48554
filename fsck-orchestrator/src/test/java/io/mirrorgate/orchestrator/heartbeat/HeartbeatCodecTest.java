package io.mirrorgate.orchestrator.heartbeat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeartbeatCodecTest {
    static final byte[] KEY = "the shared secret".getBytes(StandardCharsets.UTF_8);
    private final HeartbeatCodec codec = new HeartbeatCodec(KEY);

    static HeartbeatMessage message(long sequence) {
        return new HeartbeatMessage("beta", "alpha", 1000, sequence, 1_764_600_000_000L, NodeRole.PRIMARY, 7, false,
                List.of(new HeartbeatMessage.ResourceState("r0", NodeRole.PRIMARY, "connected", 7),
                        new HeartbeatMessage.ResourceState("r1", NodeRole.PRIMARY, "sync-source", 6)));
    }

    @Test
    void aHeartbeatSurvivesTheRoundTrip() throws Exception {
        HeartbeatMessage m = message(42);
        byte[] packet = codec.encode(m);
        assertEquals(m, codec.decode(packet, packet.length));
        HeartbeatMessage failback = new HeartbeatMessage("alpha", "beta", 1, 1, 2, NodeRole.SECONDARY, 0, true, List.of());
        byte[] p2 = codec.encode(failback);
        assertEquals(failback, codec.decode(p2, p2.length));
    }

    @Test
    void anyFlippedBitIsAForgery() {
        byte[] packet = codec.encode(message(1));
        for (int i = 0; i < packet.length; i++) {
            byte[] bad = packet.clone();
            bad[i] ^= 0x10;
            HeartbeatCodec.BadPacket e = assertThrows(HeartbeatCodec.BadPacket.class, () -> codec.decode(bad, bad.length));
            assertTrue(e.forged(), "byte " + i + ": " + e.getMessage());
        }
    }

    @Test
    void anotherKeyIsRefusedAsForged() {
        byte[] packet = new HeartbeatCodec("another key".getBytes(StandardCharsets.UTF_8)).encode(message(1));
        HeartbeatCodec.BadPacket e = assertThrows(HeartbeatCodec.BadPacket.class,
                () -> codec.decode(packet, packet.length));
        assertTrue(e.forged());
        assertEquals("bad HMAC (forged, corrupted, or another key)", e.getMessage());
    }

    @Test
    void shortOrHugePacketsAreMalformedNotForged() {
        byte[] packet = codec.encode(message(1));
        HeartbeatCodec.BadPacket tooShort = assertThrows(HeartbeatCodec.BadPacket.class, () -> codec.decode(packet, 10));
        assertFalse(tooShort.forged());
        assertTrue(tooShort.getMessage().startsWith("length: 10 (expected: "), tooShort.getMessage());
        byte[] huge = Arrays.copyOf(packet, 2000);
        assertThrows(HeartbeatCodec.BadPacket.class, () -> codec.decode(huge, huge.length));
        assertThrows(IllegalArgumentException.class, () -> new HeartbeatCodec(new byte[0]));
    }
}
