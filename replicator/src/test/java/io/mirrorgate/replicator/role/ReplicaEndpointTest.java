package io.mirrorgate.replicator.role;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.mirrorgate.replicator.bitmap.MetadataFile;
import io.mirrorgate.replicator.bitmap.PersistentDirtyRegions;
import io.mirrorgate.replicator.config.Role;
import io.mirrorgate.replicator.generation.Generations;
import io.mirrorgate.replicator.generation.PeerInfo;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.export.ReplicationEndpoint;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The rules of the replica's endpoint: who is admitted, the epoch, the UUID, the generation. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReplicaEndpointTest {
    private static final long REGION = 1 << 20;
    private static final long VOLUME = 32 * REGION;

    @TempDir
    Path dir;

    private PersistentDirtyRegions regions;
    private ReplicaEndpoint endpoint;
    private volatile Role role = Role.SECONDARY;
    private final List<String> superseded = new ArrayList<>();

    @BeforeEach
    void open() {
        Path meta = dir.resolve("r0.mgmeta");
        MetadataFile.create(meta, "r0", "beta", VOLUME, REGION);
        regions = PersistentDirtyRegions.open(meta, VOLUME, 8);
        endpoint = new ReplicaEndpoint("r0", "beta", regions, SyncTargetMark.of(meta), new ReplicaEndpoint.Host() {
            @Override
            public Role role() {
                return role;
            }

            @Override
            public boolean fenced() {
                return false;
            }

            @Override
            public void superseded(long epoch, String node) {
                superseded.add(node + "@" + epoch);
            }
        });
    }

    @AfterEach
    void close() {
        endpoint.close();
        regions.close();
    }

    @Test
    void aSecondaryAdoptsAHigherEpochDurablyAndFencesAnOlderOne() {
        ReplicationEndpoint.Admission first = endpoint.admit(session("alpha", 3)).join();
        assertEquals(3, first.highestEpoch());
        assertEquals(0, first.generation(), "a blank replica reports generation 0");
        assertEquals(3, regions.metadata().epoch(), "adopted durably");
        assertCode(ErrorCode.ESTALE, endpoint.admit(session("alpha", 2)), "older than 3");
        assertEquals(3, endpoint.highestEpoch());
    }

    @Test
    void aPrimaryAdmitsNoPrimaryAndIsToldWhenAHigherEpochSupersedesIt() {
        role = Role.PRIMARY;
        endpoint.raiseEpoch();
        long mine = endpoint.epoch();
        assertCode(ErrorCode.EBUSY, endpoint.admit(session("alpha", mine)), "two primaries are not allowed");
        assertCode(ErrorCode.ESTALE, endpoint.admit(session("alpha", mine - 1)), "has been fenced");
        assertTrue(superseded.isEmpty());
        assertCode(ErrorCode.EBUSY, endpoint.admit(session("alpha", mine + 5)), "superseded");
        assertEquals(List.of("alpha@" + (mine + 5)), superseded);
        assertFalse(endpoint.primaryConnected());
    }

    @Test
    void aBlankSecondaryAdoptsThePrimarysUuidAndAnswersWithItsOwnInformation() {
        FakeSession s = session("alpha", 1);
        endpoint.admit(s).join();
        UUID primaryUuid = UUID.randomUUID();
        PeerInfo answer = PeerInfo.decode(endpoint.exchange(s, info(primaryUuid, REGION).encode()).join());
        assertEquals(primaryUuid, regions.metadata().uuid(), "adopted at the first sync");
        assertEquals(primaryUuid, answer.uuid());
        assertEquals(Role.SECONDARY, answer.role());
        assertEquals("beta", answer.node());
        assertEquals(regions.regionCount(), answer.marked().cardinality(), "a new resource marks everything");
        assertEquals("alpha", regions.metadata().peerNode());
    }

    @Test
    void theReplicaIsInconsistentDurablyFromTheExchangeUntilTheResyncIsDone() {
        Path meta = dir.resolve("r0.mgmeta");
        FakeSession s = session("alpha", 1);
        endpoint.admit(s).join();
        assertNull(endpoint.inconsistency(), "admitted, nothing sent yet");
        endpoint.exchange(s, info(regions.metadata().uuid(), REGION).encode()).join();
        String why = endpoint.inconsistency();
        assertNotNull(why);
        assertTrue(why.startsWith("resync from node alpha started "), why);
        assertEquals(why, SyncTargetMark.of(meta).describe(), "kept across a restart");
        endpoint.setGeneration(s, 3).join();
        assertNull(endpoint.inconsistency());
        assertNull(SyncTargetMark.of(meta).describe());
        endpoint.exchange(s, info(regions.metadata().uuid(), REGION).encode()).join();
        endpoint.acceptInconsistency();
        assertNull(SyncTargetMark.of(meta).describe(), "a forced promotion accepts the replica as it is");
    }

    @Test
    void aPromotionWaitsForAPrimaryThatIsDisconnectingButNotForOneThatStays() throws Exception {
        FakeSession s = session("alpha", 1);
        endpoint.admit(s).join();
        assertEquals("alpha", endpoint.awaitNoPrimary(Duration.ofMillis(100)), "still connected");
        CompletableFuture<String> waiting = CompletableFuture.supplyAsync(
                () -> endpoint.awaitNoPrimary(Duration.ofSeconds(30)));
        endpoint.ended(s);
        assertNull(waiting.get(10, TimeUnit.SECONDS), "woken by the disconnect, not by the timeout");
    }

    @Test
    void aSecondaryThatWasInSyncRefusesAnotherResourcesUuid() {
        FakeSession s = session("alpha", 1);
        endpoint.admit(s).join();
        endpoint.setGeneration(s, 4).join();
        UUID other = UUID.randomUUID();
        assertCode(ErrorCode.EINVAL, endpoint.exchange(s, info(other, REGION).encode()), "UUID mismatch");
        assertCode(ErrorCode.EINVAL, endpoint.exchange(s, info(regions.metadata().uuid(), REGION * 2).encode()),
                "region size");
    }

    @Test
    void setGenerationRecordsTheSyncAndClearsTheMarks() {
        FakeSession s = session("alpha", 1);
        endpoint.admit(s).join();
        assertTrue(regions.owedCount() > 0);
        assertFalse(endpoint.inSync(), "connected, the resync not done yet");
        endpoint.setGeneration(s, 6).join();
        assertTrue(endpoint.inSync());
        assertEquals(new Generations(6, 6, 6), regions.metadata().generations());
        assertEquals(0, regions.owedCount());
        assertEquals(0, regions.markedRegions().cardinality());
        assertEquals(6, endpoint.admit(session("alpha", 1)).join().generation(), "no longer blank");
    }

    @Test
    void aSupersededConnectionCanNoLongerSetTheGeneration() {
        FakeSession old = session("alpha", 1);
        endpoint.admit(old).join();
        FakeSession newer = session("alpha", 1);
        endpoint.admit(newer).join();
        assertTrue(old.closed, "the older connection is closed");
        assertCode(ErrorCode.ESTALE, endpoint.setGeneration(old, 9), "superseded");
        endpoint.ended(old);
        assertTrue(endpoint.primaryConnected(), "ending the old session leaves the new one");
        endpoint.ended(newer);
        assertFalse(endpoint.primaryConnected());
    }

    private PeerInfo info(UUID uuid, long regionSize) {
        return new PeerInfo(uuid, "alpha", Role.PRIMARY, false, 1, new Generations(1, 1, 0), regionSize,
                (int) (VOLUME / regionSize), new BitSet());
    }

    private static FakeSession session(String node, long epoch) {
        return new FakeSession(node, epoch);
    }

    private static void assertCode(ErrorCode code, CompletableFuture<?> f, String text) {
        try {
            f.join();
            fail("expected " + code + " (" + text + ")");
        } catch (CompletionException e) {
            MirrorgateException m = (MirrorgateException) e.getCause();
            assertEquals(code, m.code(), m.getMessage());
            assertTrue(m.getMessage().contains(text), m.getMessage());
        }
    }

    private static final class FakeSession implements ReplicationEndpoint.Session {
        final String node;
        final long epoch;
        volatile boolean closed;

        FakeSession(String node, long epoch) {
            this.node = node;
            this.epoch = epoch;
        }

        @Override
        public String peer() {
            return "127.0.0.1:1";
        }

        @Override
        public String nodeId() {
            return node;
        }

        @Override
        public long epoch() {
            return epoch;
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
