package io.mirrorgate.replicator.resource;

import static io.mirrorgate.replicator.testing.Fixtures.read;
import static io.mirrorgate.replicator.testing.Fixtures.writeRandom;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.replicator.config.Role;
import io.mirrorgate.replicator.generation.Generations;
import io.mirrorgate.replicator.generation.SplitBrainResolution;
import io.mirrorgate.replicator.generation.SyncDecision;
import io.mirrorgate.replicator.mirror.ReplicationMode;
import io.mirrorgate.replicator.resync.ResyncOptions;
import io.mirrorgate.replicator.resync.ResyncProgress;
import io.mirrorgate.replicator.testing.RuntimeHarness;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.testing.TestData;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class ResourceRuntimeTest {
    private static final long SIZE = 4L << 20;
    private static final int REGION = 64 * 1024;
    private static final Duration WAIT = Duration.ofSeconds(30);

    private RuntimeHarness h;

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    /** Starts a resource whose replicas hold different data (as they do after a split). */
    private void start(Generations local, long peerGeneration, ResourceOptions options)
            throws Exception {
        start(local, peerGeneration, options, true);
    }

    private void start(Generations local, long peerGeneration, ResourceOptions options,
            boolean divergent) throws Exception {
        h = new RuntimeHarness(SIZE, REGION, local, peerGeneration, false, options);
        // Each side holds its own data, written around the mirror (the peer is "away").
        h.remote.setFailing(null);
        for (int i = 0; i < 8; i++) {
            writeRandom(h.local, i * 3L * REGION, REGION, 1000 + i);
            if (divergent) {
                writeRandom(h.remote, i * 5L * REGION + 4096, REGION, 2000 + i);
            } else {
                writeRandom(h.remote, i * 3L * REGION, REGION, 1000 + i);
            }
        }
        h.remote.setFailing(ErrorCode.ECONNREFUSED);
        h.runtime.start();
    }

    private static ResourceOptions options() {
        return ResourceOptions.defaults("r0")
                .withResync(new ResyncOptions(0, 16 * 1024, Duration.ofSeconds(10)));
    }

    @Test
    @Timeout(30)
    void splitBrainWritesNothingToEitherSideUntilResolved() throws Exception {
        start(new Generations(5, 4, 7), 8, options());
        String localSha = h.local.sha256();
        String remoteSha = h.remote.sha256();
        long localBytes = h.local.bytesWritten();
        long remoteBytes = h.remote.bytesWritten();

        h.link.connect();
        h.awaitState(ResourceStatus.State.SPLIT_BRAIN, WAIT);
        Thread.sleep(200);

        ResourceStatus status = h.status();
        assertEquals("SPLIT_BRAIN", status.lastDecision());
        assertTrue(status.message().contains("local 5 != synced 4"), status.message());
        assertTrue(status.message().contains("peer 8 != synced 7"), status.message());
        assertEquals(ResyncProgress.State.SPLIT_BRAIN, status.resync().state());
        assertEquals(localBytes, h.local.bytesWritten());
        assertEquals(remoteBytes, h.remote.bytesWritten());
        assertEquals(localSha, h.local.sha256());
        assertEquals(remoteSha, h.remote.sha256());
        assertEquals(List.of(), h.store.history());
        assertEquals(0, h.link.generationSets());

        // The application may still write: locally only, owed to the peer.
        writeRandom(h.runtime.device(), 0, 4096, 5);
        assertEquals(remoteBytes, h.remote.bytesWritten());

        SyncDecision decision = h.runtime.resolveSplitBrain(SplitBrainResolution.DISCARD_REMOTE,
                Optional.empty()).get(10, TimeUnit.SECONDS);
        h.awaitSyncs(1, WAIT);

        assertEquals(SyncDecision.Outcome.DISCARD_REMOTE, decision.outcome());
        assertEquals(h.local.sha256(), h.remote.sha256());
        assertEquals(new Generations(6, 6, 6), h.store.generations());
        assertEquals(6, h.link.generation());
        assertEquals(ResourceStatus.State.CONNECTED, h.status().state());
    }

    @Test
    @Timeout(30)
    void discardLocalOverwritesLocalFromThePeer() throws Exception {
        start(new Generations(5, 4, 7), 8, options());
        String remoteSha = h.remote.sha256();
        h.link.connect();
        h.awaitState(ResourceStatus.State.SPLIT_BRAIN, WAIT);

        h.runtime.resolveSplitBrain(SplitBrainResolution.DISCARD_LOCAL, Optional.empty())
                .get(10, TimeUnit.SECONDS);
        h.awaitSyncs(1, WAIT);

        assertEquals(remoteSha, h.local.sha256());
        assertEquals(remoteSha, h.remote.sha256());
        assertEquals(new Generations(5, 5, 8), h.store.generations());
        assertEquals(0, h.link.generationSets());
    }

    @Test
    @Timeout(30)
    void discardRemoteWithKnownPeerDirtyRegionsCopiesOnlyTheUnion() throws Exception {
        start(new Generations(5, 4, 7), 8, options());
        h.dirty.owe(0, REGION);
        h.link.connect();
        h.awaitState(ResourceStatus.State.SPLIT_BRAIN, WAIT);
        long remoteBytes = h.remote.bytesWritten();
        BitSet peerDirty = new BitSet();
        peerDirty.set(5);
        peerDirty.set(10);

        h.runtime.resolveSplitBrain(SplitBrainResolution.DISCARD_REMOTE, Optional.of(peerDirty))
                .get(10, TimeUnit.SECONDS);
        h.awaitSyncs(1, WAIT);

        assertEquals(3L * REGION, h.remote.bytesWritten() - remoteBytes);
        for (long r : new long[] {0, 5, 10}) {
            assertArrayEquals(read(h.local, r * REGION, REGION), read(h.remote, r * REGION, REGION));
        }
    }

    @Test
    @Timeout(30)
    void resolvingWithoutSplitBrainIsRefused() throws Exception {
        start(new Generations(5, 5, 8), 8, options());
        h.link.connect();
        h.awaitSyncs(1, WAIT);

        ExecutionException refused = assertThrows(ExecutionException.class,
                () -> h.runtime.resolveSplitBrain(SplitBrainResolution.DISCARD_LOCAL,
                        Optional.empty()).get(10, TimeUnit.SECONDS));
        assertEquals(ErrorCode.EINVAL, MirrorgateException.codeOf(refused));
    }

    @Test
    @Timeout(30)
    void configuredPolicyResolvesSplitBrainAutomatically() throws Exception {
        start(new Generations(5, 4, 7), 8, options()
                .withSplitBrainPolicy(Optional.of(SplitBrainResolution.DISCARD_LOCAL)));
        String remoteSha = h.remote.sha256();

        h.link.connect();
        h.awaitSyncs(1, WAIT);

        assertEquals(remoteSha, h.local.sha256());
        assertEquals("DISCARD_LOCAL", h.status().lastDecision());
    }

    @Test
    @Timeout(30)
    void peerNewerCopiesEverythingFromThePeerAndServesStaleRegionsFromIt() throws Exception {
        start(new Generations(4, 4, 7), 8, options()
                .withResync(new ResyncOptions(2 << 20, 16 * 1024, Duration.ofSeconds(10))));
        String remoteSha = h.remote.sha256();

        h.link.connect();
        h.awaitState(ResourceStatus.State.SYNC_TARGET, WAIT);
        // While local is the target, a read of a region not yet copied comes from the peer.
        long last = SIZE - REGION;
        writeRandom(h.remote, last, 4096, 99);
        assertArrayEquals(TestData.randomBytes(99, 4096), read(h.runtime.device(), last, 4096));
        h.awaitSyncs(1, WAIT);

        assertEquals(h.remote.sha256(), h.local.sha256());
        assertNotEquals(remoteSha, h.local.sha256());
        assertEquals(new Generations(4, 4, 8), h.store.generations());
        assertEquals("PEER_NEWER", h.status().lastDecision());
    }

    @Test
    @Timeout(30)
    void freshResourceIsFullyCopiedToThePeer() throws Exception {
        start(Generations.initial(), 0, options());

        h.link.connect();
        h.awaitSyncs(1, WAIT);

        assertEquals(h.local.sha256(), h.remote.sha256());
        assertEquals(SIZE / REGION, h.status().resync().regionsCopied());
        assertEquals(new Generations(1, 1, 1), h.store.generations());
    }

    @Test
    @Timeout(30)
    void generationIsRaisedOncePerApartPeriod() throws Exception {
        start(new Generations(3, 3, 3), 3, options().withMode(ReplicationMode.MEMSYNC), false);
        h.link.connect();
        h.awaitSyncs(1, WAIT);

        for (int period = 1; period <= 2; period++) {
            h.link.disconnect();
            for (int i = 0; i < 4; i++) {
                writeRandom(h.runtime.device(), i * 2L * REGION, 8192, period * 10 + i);
            }
            assertEquals(3 + period, h.store.generations().local());
            h.link.connect();
            h.awaitSyncs(1 + period, WAIT);
            assertEquals(h.local.sha256(), h.remote.sha256());
        }
        assertEquals(List.of(new Generations(4, 3, 3), new Generations(4, 4, 4),
                new Generations(5, 4, 4), new Generations(5, 5, 5)), h.store.history());
        assertEquals(5, h.link.generation());
    }

    @Test
    @Timeout(30)
    void peerWriteFailureOnALiveLinkDegradesUntilRetried() throws Exception {
        start(new Generations(3, 3, 3), 3, options(), false);
        h.link.connect();
        h.awaitSyncs(1, WAIT);
        h.remote.setFailing(ErrorCode.EIO);

        writeRandom(h.runtime.device(), 2L * REGION, 4096, 1);
        h.awaitState(ResourceStatus.State.DEGRADED, WAIT);
        writeRandom(h.runtime.device(), 7L * REGION, 4096, 2);
        assertEquals(2, h.status().owedRegions());
        assertEquals(1, h.status().counters().peerWriteFailures(), "the second was not sent");

        h.remote.setFailing(null);
        h.runtime.retryPeer().get(10, TimeUnit.SECONDS);
        h.awaitSyncs(2, WAIT);

        assertEquals(h.local.sha256(), h.remote.sha256());
        assertEquals(new Generations(4, 4, 4), h.store.generations());
    }

    @Test
    @Timeout(30)
    void statusReportsWhatTheLeadRenders() throws Exception {
        start(new Generations(3, 3, 3), 3, options(), false);
        h.link.connect();
        h.awaitSyncs(1, WAIT);
        h.link.disconnect();
        writeRandom(h.runtime.device(), REGION, 4096, 1);
        h.awaitState(ResourceStatus.State.DISCONNECTED, WAIT);

        ResourceStatus status = h.status();
        assertEquals("r0", status.resource());
        assertEquals(Role.PRIMARY, status.role());
        assertEquals(ReplicationMode.FULLSYNC, status.mode());
        assertEquals(false, status.peerConnected());
        assertEquals(-1, status.peerGeneration());
        assertEquals(1, status.owedRegions());
        assertEquals(REGION, status.owedBytes());
        assertEquals(new Generations(4, 3, 3), status.generations());
        assertEquals(1, status.counters().degradedWrites());
        assertTrue(status.counters().degraded());
    }
}
