package io.mirrorgate.orchestrator.heartbeat;

import io.mirrorgate.orchestrator.config.PingTarget;
import io.mirrorgate.orchestrator.platform.CommandRunner;
import io.mirrorgate.orchestrator.platform.CommandTemplate;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configured ping targets, tried in order until one answers: {@code HOST:PORT} by a TCP
 * connection that completes (a refusal does not count: a local firewall's REJECT looks the same),
 * {@code HOST} by the platform's ping command (ICMP, exit 0).
 */
public final class PingTargets implements Reachability {
    private static final Logger LOG = LoggerFactory.getLogger(PingTargets.class);

    private final List<PingTarget> targets;
    private final Duration timeout;
    private final CommandTemplate ping;
    private final CommandRunner runner;

    public PingTargets(List<PingTarget> targets, Duration timeout, CommandTemplate ping, CommandRunner runner) {
        this.targets = List.copyOf(targets);
        this.timeout = timeout;
        this.ping = ping;
        this.runner = runner;
    }

    @Override
    public boolean anyReachable() {
        if (targets.isEmpty()) {
            return true;
        }
        for (PingTarget t : targets) {
            if (t.tcp() ? tcp(t) : icmp(t)) {
                LOG.info("ping target answers target={}", t);
                return true;
            }
        }
        LOG.warn("no ping target answers targets={}: this node is cut off", targets);
        return false;
    }

    private boolean tcp(PingTarget t) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(t.host(), t.port()), (int) Math.max(1, timeout.toMillis()));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private boolean icmp(PingTarget t) {
        return runner.run(ping.expand(Map.of("host", t.host())), timeout.plusSeconds(1)).ok();
    }
}
