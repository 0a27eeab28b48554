package io.mirrorgate.orchestrator.heartbeat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.orchestrator.config.PingTarget;
import io.mirrorgate.orchestrator.platform.CommandRunner;
import io.mirrorgate.orchestrator.platform.CommandTemplate;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PingTargetsTest {
    private final List<String> ran = new ArrayList<>();

    private CommandRunner ping(int exitCode) {
        return (argv, env, timeout) -> {
            ran.add(String.join(" ", argv));
            return CommandRunner.Result.exit(exitCode, "");
        };
    }

    private static final CommandTemplate PING = CommandTemplate.of("ping", "-c", "1", "-W", "1", "{host}");

    @Test
    void noTargetsMeansReachable() {
        assertTrue(new PingTargets(List.of(), Duration.ofSeconds(1), PING, ping(1)).anyReachable());
        assertEquals(List.of(), ran);
    }

    @Test
    void icmpTargetsUseThePingCommandUntilOneAnswers() {
        List<PingTarget> targets = List.of(new PingTarget("10.0.0.254", 0), new PingTarget("10.0.0.253", 0));
        assertFalse(new PingTargets(targets, Duration.ofSeconds(1), PING, ping(1)).anyReachable());
        assertEquals(List.of("ping -c 1 -W 1 10.0.0.254", "ping -c 1 -W 1 10.0.0.253"), ran);
        ran.clear();
        assertTrue(new PingTargets(targets, Duration.ofSeconds(1), PING, ping(0)).anyReachable());
        assertEquals(List.of("ping -c 1 -W 1 10.0.0.254"), ran);
    }

    @Test
    void tcpTargetsAnswerOnlyWhenTheConnectionCompletes() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertTrue(new PingTargets(List.of(new PingTarget("127.0.0.1", s.getLocalPort())), Duration.ofSeconds(1),
                    PING, ping(1)).anyReachable(), "a listening port answers");
            closedPort = s.getLocalPort();
        }
        assertFalse(new PingTargets(List.of(new PingTarget("127.0.0.1", closedPort)), Duration.ofSeconds(1), PING,
                ping(1)).anyReachable(), "a refusal is no proof: a firewall's REJECT looks the same");
        assertEquals(List.of(), ran);
    }
}
