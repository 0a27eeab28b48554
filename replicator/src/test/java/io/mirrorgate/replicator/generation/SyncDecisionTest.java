package io.mirrorgate.replicator.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.replicator.generation.SyncDecision.Copy;
import io.mirrorgate.replicator.generation.SyncDecision.Outcome;
import java.util.BitSet;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(10)
class SyncDecisionTest {

    @ParameterizedTest(name = "local={0} syncedLocal={1} syncedPeer={2} peer={3} -> {4}")
    @CsvSource({
        // local, syncedLocal, syncedPeer, peer, outcome, direction, copy
        "1, 1, 0, 0, INITIAL, LOCAL_TO_PEER, OWED",
        "1, 1, 0, 9, INITIAL, LOCAL_TO_PEER, OWED",
        "4, 4, 7, 7, IN_SYNC, LOCAL_TO_PEER, OWED",
        "5, 4, 7, 7, LOCAL_NEWER, LOCAL_TO_PEER, OWED",
        "4, 4, 7, 8, PEER_NEWER, PEER_TO_LOCAL, ALL",
        "5, 4, 7, 8, SPLIT_BRAIN, NONE, NONE",
        "9, 4, 7, 3, SPLIT_BRAIN, NONE, NONE",
        // a blank peer (new or replaced disk) is never a source, whatever local did
        "4, 4, 7, 0, PEER_BLANK, LOCAL_TO_PEER, ALL",
        "5, 4, 7, 0, PEER_BLANK, LOCAL_TO_PEER, ALL",
    })
    void decidesFromBothGenerations(long local, long syncedLocal, long syncedPeer, long peer,
            Outcome outcome, SyncDirection direction, Copy copy) {
        SyncDecision decision = SyncDecision.decide(
                new Generations(local, syncedLocal, syncedPeer), peer);

        assertEquals(outcome, decision.outcome());
        assertEquals(direction, decision.direction());
        assertEquals(copy, decision.copy());
        assertEquals(outcome == Outcome.SPLIT_BRAIN, decision.refused());
        assertTrue(decision.message().contains("peer generation=" + peer), decision.message());
    }

    @Test
    void splitBrainMessageNamesBothSidesFigures() {
        SyncDecision decision = SyncDecision.decide(new Generations(5, 4, 7), 8);

        assertTrue(decision.message().contains("local 5 != synced 4"), decision.message());
        assertTrue(decision.message().contains("peer 8 != synced 7"), decision.message());
        assertTrue(decision.message().contains("--discard-local"), decision.message());
    }

    @Test
    void discardLocalCopiesEverythingFromThePeer() {
        SyncDecision decision = SyncDecision.resolve(SplitBrainResolution.DISCARD_LOCAL,
                new Generations(5, 4, 7), 8, Optional.of(new BitSet()));

        assertEquals(Outcome.DISCARD_LOCAL, decision.outcome());
        assertEquals(SyncDirection.PEER_TO_LOCAL, decision.direction());
        assertEquals(Copy.ALL, decision.copy());
        assertFalse(decision.refused());
    }

    @Test
    void discardRemoteCopiesEverythingWhenThePeersWritesAreUnknown() {
        SyncDecision decision = SyncDecision.resolve(SplitBrainResolution.DISCARD_REMOTE,
                new Generations(5, 4, 7), 8, Optional.empty());

        assertEquals(Outcome.DISCARD_REMOTE, decision.outcome());
        assertEquals(SyncDirection.LOCAL_TO_PEER, decision.direction());
        assertEquals(Copy.ALL, decision.copy());
    }

    @Test
    void discardRemoteCopiesTheUnionWhenThePeersDirtyRegionsAreKnown() {
        BitSet peerDirty = new BitSet();
        peerDirty.set(3);
        peerDirty.set(40);

        SyncDecision decision = SyncDecision.resolve(SplitBrainResolution.DISCARD_REMOTE,
                new Generations(5, 4, 7), 8, Optional.of(peerDirty));
        peerDirty.set(41);

        assertEquals(Copy.OWED_AND_PEER_DIRTY, decision.copy());
        assertEquals(2, decision.peerDirty().orElseThrow().cardinality(), "defensive copy");
    }

    @Test
    void inSyncRecordsBothCurrentGenerations() {
        assertEquals(new Generations(6, 6, 6), SyncDecision.inSync(new Generations(6, 4, 7), 6));
        assertEquals(new Generations(4, 4, 8), SyncDecision.inSync(new Generations(4, 4, 7), 8));
    }

    @Test
    void resolutionParsesOperatorSpellings() {
        assertEquals(SplitBrainResolution.DISCARD_LOCAL, SplitBrainResolution.parse("--discard-local"));
        assertEquals(SplitBrainResolution.DISCARD_REMOTE, SplitBrainResolution.parse("discard-remote"));
        assertThrows(IllegalArgumentException.class, () -> SplitBrainResolution.parse("both"));
    }
}
