package io.mirrorgate.orchestrator.heartbeat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mirrorgate.orchestrator.config.HeartbeatConfig;
import io.mirrorgate.orchestrator.heartbeat.PeerTracker.Liveness;
import io.mirrorgate.orchestrator.heartbeat.PeerTracker.Verdict;
import io.mirrorgate.orchestrator.testing.FakeClock;
import io.mirrorgate.orchestrator.testing.TestConfigs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Linux-HA timers on a fake clock, and the packets that must never reset them. */
class PeerTrackerTest {
    @TempDir
    Path dir;

    private final FakeClock clock = new FakeClock();
    private final HeartbeatCodec peerCodec = new HeartbeatCodec(HeartbeatCodecTest.KEY);
    private PeerTracker tracker;

    @BeforeEach
    void setUp() {
        HeartbeatConfig config = TestConfigs.linux(dir).heartbeat(); // 200ms / 500ms / 1s / initdead 2s
        tracker = new PeerTracker(new HeartbeatCodec(HeartbeatCodecTest.KEY), config, "alpha", "beta", clock);
    }

    private HeartbeatMessage fromBeta(long incarnation, long sequence) {
        return new HeartbeatMessage("beta", "alpha", incarnation, sequence, clock.millis(), NodeRole.PRIMARY, 3, false,
                List.of());
    }

    private Verdict send(byte[] packet) {
        return tracker.receive(packet, packet.length, "test");
    }

    private Verdict send(HeartbeatMessage m) {
        return send(peerCodec.encode(m));
    }

    @Test
    void withoutAnyHeartbeatThePeerIsDeadAfterInitdead() {
        assertEquals(Liveness.WAITING, tracker.liveness());
        clock.advanceMillis(1999);
        assertEquals(Liveness.WAITING, tracker.liveness(), "deadtime (1s) does not apply before the first heartbeat");
        clock.advanceMillis(1);
        assertEquals(Liveness.DEAD, tracker.liveness());
    }

    @Test
    void silenceIsLateAfterWarntimeAndDeadAfterDeadtime() {
        assertEquals(Verdict.ACCEPTED, send(fromBeta(1, 1)));
        assertEquals(Liveness.ALIVE, tracker.liveness());
        clock.advanceMillis(499);
        assertEquals(Liveness.ALIVE, tracker.liveness());
        clock.advanceMillis(1);
        assertEquals(Liveness.LATE, tracker.liveness());
        clock.advanceMillis(499);
        assertEquals(Liveness.LATE, tracker.liveness());
        clock.advanceMillis(1);
        assertEquals(Liveness.DEAD, tracker.liveness());
        assertEquals(Verdict.ACCEPTED, send(fromBeta(1, 2)));
        assertEquals(Liveness.ALIVE, tracker.liveness(), "a heartbeat brings the peer back");
        assertEquals(3, tracker.last().epoch());
    }

    @Test
    void heartbeatsEveryKeepaliveKeepThePeerAlive() {
        for (int i = 1; i <= 20; i++) {
            assertEquals(Verdict.ACCEPTED, send(fromBeta(1, i)));
            clock.advanceMillis(200);
            assertEquals(Liveness.ALIVE, tracker.liveness());
        }
    }

    @Test
    void aForgedOrBadKeyPacketIsCountedAndNeverResetsTheTimer() {
        send(fromBeta(1, 1));
        clock.advanceMillis(900);
        HeartbeatCodec wrongKey = new HeartbeatCodec("not our key".getBytes(StandardCharsets.UTF_8));
        assertEquals(Verdict.FORGED, send(wrongKey.encode(fromBeta(1, 2))));
        byte[] tampered = peerCodec.encode(fromBeta(1, 3));
        tampered[20] ^= 1;
        assertEquals(Verdict.FORGED, send(tampered));
        assertEquals(Verdict.MALFORMED, send(new byte[] {1, 2, 3}));
        clock.advanceMillis(100);
        assertEquals(Liveness.DEAD, tracker.liveness(), "1s since the last genuine heartbeat");
        assertEquals(2, tracker.count(Verdict.FORGED));
        assertEquals(1, tracker.count(Verdict.MALFORMED));
        assertEquals(1, tracker.count(Verdict.ACCEPTED));
    }

    @Test
    void aReplayedPacketIsCountedAndNeverResetsTheTimer() {
        byte[] first = peerCodec.encode(fromBeta(1, 5));
        assertEquals(Verdict.ACCEPTED, send(first));
        clock.advanceMillis(900);
        assertEquals(Verdict.REPLAYED, send(first), "the same packet again");
        assertEquals(Verdict.REPLAYED, send(fromBeta(1, 4)), "an older sequence");
        assertEquals(Verdict.REPLAYED, send(fromBeta(0, 99)), "an older incarnation");
        clock.advanceMillis(100);
        assertEquals(Liveness.DEAD, tracker.liveness());
        assertEquals(3, tracker.count(Verdict.REPLAYED));
        assertEquals(Verdict.ACCEPTED, send(fromBeta(2, 1)), "a restarted peer begins a new incarnation");
        assertEquals(Liveness.ALIVE, tracker.liveness());
    }

    @Test
    void packetsForAnotherNodeOrWithAFarTimestampDoNotCount() {
        send(fromBeta(1, 1));
        clock.advanceMillis(900);
        HeartbeatMessage reflected = new HeartbeatMessage("alpha", "beta", 1, 2, clock.millis(), NodeRole.SECONDARY, 3,
                false, List.of());
        assertEquals(Verdict.MISADDRESSED, send(reflected), "our own packet sent back to us");
        HeartbeatMessage old = new HeartbeatMessage("beta", "alpha", 1, 3, clock.millis() - 61_000, NodeRole.PRIMARY, 3,
                false, List.of());
        assertEquals(Verdict.SKEWED, send(old), "a packet recorded a minute ago");
        clock.advanceMillis(100);
        assertEquals(Liveness.DEAD, tracker.liveness());
    }
}
