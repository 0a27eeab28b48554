package io.mirrorgate.replicator.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.replicator.config.Role;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The replication handshake's payload: round trip, malformed input, and its use in the decision. */
class PeerInfoTest {
    private static PeerInfo sample(int regions, BitSet marked) {
        return new PeerInfo(UUID.fromString("123e4567-e89b-12d3-a456-426614174000"), "beta", Role.SECONDARY,
                false, 9, new Generations(5, 4, 4), 1 << 20, regions, marked);
    }

    @Test
    void encodesAndDecodesEveryField() {
        BitSet marked = new BitSet();
        marked.set(0);
        marked.set(1000, 1100);
        marked.set(262_143);
        PeerInfo info = new PeerInfo(UUID.randomUUID(), "nöde-β", Role.PRIMARY, true, Long.MAX_VALUE,
                new Generations(7, 6, 5), 4096, 262_144, marked);
        byte[] wire = info.encode();
        assertTrue(wire.length < 2000, "the bitmap travels compressed: " + wire.length + " bytes");
        PeerInfo back = PeerInfo.decode(wire);
        assertEquals(info, back);
        assertEquals(marked, back.marked());
    }

    @Test
    void malformedInputIsRefusedWithEprotoAndAReason() {
        byte[] good = sample(64, new BitSet()).encode();
        assertEproto(Arrays.copyOf(good, 10), "truncated");
        byte[] version = good.clone();
        version[1] = 9;
        assertEproto(version, "version 9");
        byte[] role = good.clone();
        role[2] = 7;
        assertEproto(role, "role 7");
        Random random = new Random(3);
        for (int i = 0; i < 2000; i++) {
            byte[] mutated = good.clone();
            mutated[random.nextInt(mutated.length)] ^= (byte) (1 + random.nextInt(255));
            try {
                PeerInfo.decode(mutated);
            } catch (MirrorgateException e) {
                assertEquals(ErrorCode.EPROTO, e.code(), e.getMessage());
            }
        }
    }

    @Test
    void aBitmapLargerThanTheRegionCountIsRefused() {
        BitSet marked = new BitSet();
        marked.set(500);
        byte[] wire = new PeerInfo(UUID.randomUUID(), "b", Role.SECONDARY, false, 0, new Generations(1, 1, 0),
                4096, 600, marked).encode();
        // claim only 8 regions: the 63-byte bitmap cannot fit
        byte[] lying = wire.clone();
        int countAt = 4 + 16 + 8 + 24 + 8;
        lying[countAt] = 0;
        lying[countAt + 1] = 0;
        lying[countAt + 2] = 0;
        lying[countAt + 3] = 8;
        assertEproto(lying, "bitmap of");
    }

    @Test
    void theDecisionCopiesOwedPlusPeerMarkedRegionsExceptForABlankPeerOrASplitBrain() {
        BitSet peer = new BitSet();
        peer.set(2);
        Generations local = new Generations(5, 4, 4);
        SyncDecision newer = SyncDecision.decide(local, 4).withPeerMarks(Optional.of(peer));
        assertEquals(SyncDecision.Outcome.LOCAL_NEWER, newer.outcome());
        assertEquals(SyncDecision.Copy.OWED_AND_PEER_DIRTY, newer.copy());
        assertEquals(Optional.of(peer), newer.peerDirty());

        SyncDecision peerNewer = SyncDecision.decide(new Generations(4, 4, 4), 6).withPeerMarks(Optional.of(peer));
        assertEquals(SyncDecision.Outcome.PEER_NEWER, peerNewer.outcome());
        assertEquals(SyncDirection.PEER_TO_LOCAL, peerNewer.direction());
        assertEquals(SyncDecision.Copy.OWED_AND_PEER_DIRTY, peerNewer.copy(), "not every region");

        assertEquals(SyncDecision.Copy.ALL, SyncDecision.decide(local, 0).withPeerMarks(Optional.of(peer)).copy(),
                "a blank peer gets everything");
        assertEquals(SyncDecision.Copy.NONE, SyncDecision.decide(local, 6).withPeerMarks(Optional.of(peer)).copy(),
                "a split brain copies nothing until resolved");
        assertEquals(SyncDecision.Copy.ALL, SyncDecision.decide(new Generations(4, 4, 4), 6)
                .withPeerMarks(Optional.empty()).copy(), "without the peer's bitmap: a full copy, as before");
    }

    private static void assertEproto(byte[] bytes, String reason) {
        MirrorgateException e = assertThrows(MirrorgateException.class, () -> PeerInfo.decode(bytes));
        assertEquals(ErrorCode.EPROTO, e.code());
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }
}
