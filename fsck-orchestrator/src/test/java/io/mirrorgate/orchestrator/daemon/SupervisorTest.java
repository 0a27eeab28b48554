package io.mirrorgate.orchestrator.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.orchestrator.config.OrchestratorConfig;
import io.mirrorgate.orchestrator.heartbeat.HeartbeatCodec;
import io.mirrorgate.orchestrator.heartbeat.HeartbeatMessage;
import io.mirrorgate.orchestrator.heartbeat.NodeRole;
import io.mirrorgate.orchestrator.heartbeat.PeerTracker;
import io.mirrorgate.orchestrator.takeover.Plans;
import io.mirrorgate.orchestrator.takeover.ReplicatorControl;
import io.mirrorgate.orchestrator.takeover.StateStore;
import io.mirrorgate.orchestrator.testing.FakeClock;
import io.mirrorgate.orchestrator.testing.FakeSystem;
import io.mirrorgate.orchestrator.testing.TestConfigs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's decisions on a fake clock, with a pretend machine and the worker run inline:
 * keepalive 200ms, warntime 500ms, deadtime 1s, initdead 2s.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SupervisorTest {
    private static final byte[] KEY = "shared".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private final FakeClock clock = new FakeClock();
    private final FakeSystem system = new FakeSystem();
    private final HeartbeatCodec codec = new HeartbeatCodec(KEY);
    private final AtomicBoolean reachable = new AtomicBoolean(true);
    private PeerTracker tracker;
    private Supervisor supervisor;
    private long peerSequence;

    private void start(String extraTop) {
        OrchestratorConfig config = OrchestratorConfig.parse(TestConfigs.text(dir, extraTop), "test.toml");
        tracker = new PeerTracker(codec, config.heartbeat(), "alpha", "beta", clock);
        StateStore store = new StateStore(config.stateDir());
        Plans plans = new Plans(config, system, system, store, line -> { }, clock::millis);
        supervisor = new Supervisor(config, clock, tracker, plans, reachable::get, Runnable::run, store);
    }

    private void peerSays(NodeRole role, long epoch, boolean wantsFailback) {
        HeartbeatMessage m = new HeartbeatMessage("beta", "alpha", 1, ++peerSequence, clock.millis(), role, epoch,
                wantsFailback, List.of(new HeartbeatMessage.ResourceState("r0", role, "connected", epoch)));
        byte[] packet = codec.encode(m);
        assertEquals(PeerTracker.Verdict.ACCEPTED, tracker.receive(packet, packet.length, "beta"));
    }

    /** Advances the clock by {@code ms} in keepalive ticks. */
    private void run(long ms) {
        for (long t = 0; t < ms; t += 200) {
            clock.advanceMillis(Math.min(200, ms - t));
            supervisor.tick();
        }
    }

    @Test
    void theStandbyTakesOverWhenThePrimaryIsSilentForDeadtime() {
        system.roles.put("r0", "secondary");
        start("");
        supervisor.tick(); // asks the replicator
        peerSays(NodeRole.PRIMARY, 1, false);
        run(800);
        assertEquals(List.of(), system.ran("replicator -c /etc/r.toml fence"), "800ms: not dead yet");
        run(200);
        assertEquals(List.of("replicator -c /etc/r.toml fence r0"), system.ran("replicator -c /etc/r.toml fence"));
        assertEquals("primary", system.roles.get("r0"));
        assertEquals(1, system.addresses.size());
        JsonNode status = supervisor.status();
        assertEquals("ok", status.path("lastPlan").path("outcome").asText());
        assertEquals("takeover", status.path("lastPlan").path("plan").asText());
        assertEquals("primary", status.path("node").path("role").asText(), "asked again after the plan");
        assertEquals("dead", status.path("peer").path("liveness").asText());
        run(2000);
        assertEquals(1, system.ran("replicator -c /etc/r.toml fence").size(), "once");
    }

    @Test
    void forgedAndReplayedHeartbeatsDoNotKeepADeadPrimaryAlive() {
        system.roles.put("r0", "secondary");
        start("");
        supervisor.tick();
        HeartbeatMessage genuine = new HeartbeatMessage("beta", "alpha", 1, 1, clock.millis(), NodeRole.PRIMARY, 1,
                false, List.of());
        byte[] packet = codec.encode(genuine);
        tracker.receive(packet, packet.length, "beta");
        HeartbeatCodec attacker = new HeartbeatCodec("guessed".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < 5; i++) {
            clock.advanceMillis(200);
            byte[] forged = attacker.encode(new HeartbeatMessage("beta", "alpha", 1, 2 + i, clock.millis(),
                    NodeRole.PRIMARY, 1, false, List.of()));
            tracker.receive(forged, forged.length, "attacker");
            tracker.receive(packet, packet.length, "attacker"); // replay
            supervisor.tick();
        }
        assertEquals(List.of("replicator -c /etc/r.toml fence r0"), system.ran("replicator -c /etc/r.toml fence"));
        assertEquals(5, supervisor.status().path("heartbeats").path("forged").asLong());
        assertEquals(5, supervisor.status().path("heartbeats").path("replayed").asLong());
    }

    @Test
    void aStandbyCutOffFromEveryPingTargetDoesNotTakeOver() {
        system.roles.put("r0", "secondary");
        start("");
        reachable.set(false);
        supervisor.tick();
        peerSays(NodeRole.PRIMARY, 1, false);
        run(3000);
        assertEquals(List.of(), system.ran("replicator -c /etc/r.toml fence"));
        assertTrue(supervisor.status().path("cutOff").asBoolean());
        assertTrue(supervisor.status().path("decision").asText().contains("cut off"));

        reachable.set(true); // the network is back, the primary still silent
        run(200);
        assertEquals(1, system.ran("replicator -c /etc/r.toml fence").size());
    }

    @Test
    void withoutAnyHeartbeatTheStandbyWaitsForInitdead() {
        system.roles.put("r0", "secondary");
        start("");
        run(1800);
        assertEquals(List.of(), system.ran("replicator -c /etc/r.toml fence"));
        run(200);
        assertEquals(1, system.ran("replicator -c /etc/r.toml fence").size());
    }

    @Test
    void aPrimaryDoesNothingWhenItsPeerDies() {
        system.roles.put("r0", "primary");
        start("");
        supervisor.tick();
        peerSays(NodeRole.SECONDARY, 1, false);
        run(3000);
        assertEquals(List.of(), system.ran("replicator -c /etc/r.toml fence"));
        assertEquals(List.of(), system.ran("replicator -c /etc/r.toml role"));
    }

    @Test
    void aFailedTakeoverIsNotRetriedDuringTheSameOutage() {
        system.roles.put("r0", "secondary");
        system.fsckExit = 8;
        start("");
        supervisor.tick();
        peerSays(NodeRole.PRIMARY, 1, false);
        run(5000);
        assertEquals(1, system.ran("e2fsck").size());
        assertTrue(system.addresses.isEmpty(), "no address after a failed fsck");
        assertEquals("failed", supervisor.status().path("lastPlan").path("outcome").asText());
    }

    @Test
    void aSupersededPrimaryStepsDownAndBecomesSecondary() {
        system.roles.put("r0", "primary");
        system.addresses.add("192.0.2.50/24 dev eth0");
        system.mounts.put("/srv/r0", "/dev/nbd0");
        system.running.add("db");
        start("");
        supervisor.tick();
        peerSays(NodeRole.PRIMARY, 5, false); // the peer took over while we were away
        run(200);
        assertEquals("secondary", system.roles.get("r0"));
        assertTrue(system.addresses.isEmpty() && system.mounts.isEmpty() && system.running.isEmpty());
        assertEquals("demote", supervisor.status().path("lastPlan").path("plan").asText());
        assertTrue(supervisor.status().path("lastPlan").path("reason").asText().startsWith("superseded"));
        peerSays(NodeRole.PRIMARY, 5, false);
        run(2000);
        assertEquals(1, system.ran("replicator -c /etc/r.toml role r0 secondary").size(), "stays secondary");
    }

    @Test
    void withoutAutoFailbackTheOldPrimaryStaysSecondary() {
        system.roles.put("r0", "secondary");
        start("home = \"alpha\"\n");
        supervisor.tick();
        for (int i = 0; i < 10; i++) {
            peerSays(NodeRole.PRIMARY, 5, false);
            run(200);
        }
        assertFalse(supervisor.nextHeartbeat().wantsFailback());
        assertEquals(List.of(), system.ran("replicator -c /etc/r.toml role"));
    }

    @Test
    void autoFailbackHandsTheRoleBackToTheHomeNode() {
        // this node (alpha) is home, secondary and in sync: it asks for its role back
        system.roles.put("r0", "secondary");
        start("home = \"alpha\"\nauto_failback = true\n");
        supervisor.tick();
        peerSays(NodeRole.PRIMARY, 5, false);
        run(200);
        assertTrue(supervisor.nextHeartbeat().wantsFailback());
        assertEquals(List.of(), system.ran("replicator -c /etc/r.toml role"), "not while the peer is primary");
        peerSays(NodeRole.SECONDARY, 5, false); // beta demoted itself
        run(200);
        assertEquals(List.of("replicator -c /etc/r.toml role r0 primary"), system.ran("replicator -c /etc/r.toml role"),
                "a takeover without --force");
        assertEquals(1, system.addresses.size());
    }

    @Test
    void autoFailbackDemotesTheNodeThatIsNotHome() {
        system.roles.put("r0", "primary");
        system.running.add("db");
        start("home = \"beta\"\nauto_failback = true\n");
        supervisor.tick();
        peerSays(NodeRole.SECONDARY, 1, false);
        run(400);
        assertEquals("primary", system.roles.get("r0"), "the home node did not ask yet");
        peerSays(NodeRole.SECONDARY, 1, true);
        run(200);
        assertEquals("secondary", system.roles.get("r0"));
        assertTrue(system.running.isEmpty());
    }

    @Test
    void aFailedStepDownIsRetriedOnlyAfterAPause() {
        system.roles.put("r0", "primary");
        system.failOn("replicator -c /etc/r.toml role r0 secondary", ReplicatorControl.REFUSED);
        start("");
        supervisor.tick();
        for (int i = 0; i < 50; i++) { // 10s of a superseding peer
            peerSays(NodeRole.PRIMARY, 5, false);
            run(200);
        }
        assertEquals(1, system.ran("replicator -c /etc/r.toml role r0 secondary").size());
        assertTrue(supervisor.status().path("decision").asText().startsWith("pausing after a failed plan"));
        for (int i = 0; i < 110; i++) { // past the 30s pause
            peerSays(NodeRole.PRIMARY, 5, false);
            run(200);
        }
        assertEquals(2, system.ran("replicator -c /etc/r.toml role r0 secondary").size());
    }

    @Test
    void aFencedPrimaryStepsDownWithoutWaitingForThePeer() {
        system.roles.put("r0", "primary");
        system.fenced = true; // restarted after a crash; its replicator met the new primary's epoch
        system.running.add("db");
        start("");
        supervisor.tick(); // asks the replicator
        run(200);
        assertEquals("secondary", system.roles.get("r0"));
        assertTrue(system.running.isEmpty());
        assertEquals("superseded: the replicator says this primary is fenced",
                supervisor.status().path("lastPlan").path("reason").asText());
    }
}
