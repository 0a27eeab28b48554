package io.mirrorgate.orchestrator.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mirrorgate.common.cli.Keys;
import io.mirrorgate.common.control.ControlClient;
import io.mirrorgate.common.control.ControlServer;
import io.mirrorgate.orchestrator.config.OrchestratorConfig;
import io.mirrorgate.orchestrator.heartbeat.Clock;
import io.mirrorgate.orchestrator.heartbeat.HeartbeatCodec;
import io.mirrorgate.orchestrator.heartbeat.PeerTracker;
import io.mirrorgate.orchestrator.heartbeat.PingTargets;
import io.mirrorgate.orchestrator.platform.CommandRunner;
import io.mirrorgate.orchestrator.platform.CommandSet;
import io.mirrorgate.orchestrator.platform.ProcessRunner;
import io.mirrorgate.orchestrator.takeover.Plans;
import io.mirrorgate.orchestrator.takeover.ReplicatorSocketRunner;
import io.mirrorgate.orchestrator.takeover.StateStore;
import io.mirrorgate.common.lifecycle.CloseStack;
import io.mirrorgate.common.lifecycle.DaemonThreads;
import io.mirrorgate.server.daemon.GgateDaemon;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code fsck-orchestrator run}: a UDP socket on this node's address and the heartbeat port, a
 * receiver thread that hands every datagram to the {@link PeerTracker}, a ticker that sends a
 * heartbeat to the peer and lets the {@link Supervisor} decide every {@code keepalive}, one
 * worker for plans and replicator queries (heartbeats go on while a plan runs), and the control
 * socket that answers {@code status}. Closing stops them in reverse order.
 */
public final class OrchestratorDaemon implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OrchestratorDaemon.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final CloseStack opened;
    private final Supervisor supervisor;
    private final InetSocketAddress local;

    private OrchestratorDaemon(CloseStack opened, Supervisor supervisor, InetSocketAddress local) {
        this.opened = opened;
        this.supervisor = supervisor;
        this.local = local;
    }

    /** Starts the daemon; the configuration was validated, the key file is read here. */
    public static OrchestratorDaemon start(OrchestratorConfig config) {
        byte[] key = Keys.read(config.heartbeat().keyFile());
        HeartbeatCodec codec = new HeartbeatCodec(key);
        CloseStack opened = new CloseStack("fsck-orchestrator");
        try {
            Clock clock = Clock.SYSTEM;
            PeerTracker tracker = new PeerTracker(codec, config.heartbeat(), config.node(), config.peerNode(), clock);
            CommandRunner runner = new ProcessRunner();
            CommandRunner withReplicator = ReplicatorSocketRunner.wrap(config.replicator(), runner);
            StateStore store = new StateStore(config.stateDir());
            Plans plans = new Plans(config, withReplicator, withReplicator, store, line -> { }, clock::millis);
            PingTargets ping = new PingTargets(config.heartbeat().ping(), config.heartbeat().pingTimeout(),
                    config.commands().get(CommandSet.Kind.PING), runner);
            ExecutorService worker = Executors.newSingleThreadExecutor(DaemonThreads.named("orchestrator-worker"));
            opened.push(() -> {
                worker.shutdownNow();
                worker.awaitTermination(10, TimeUnit.SECONDS);
            });
            Supervisor supervisor = new Supervisor(config, clock, tracker, plans, ping, worker, store);

            InetSocketAddress bindTo = new InetSocketAddress(config.address(), config.heartbeat().port());
            if (bindTo.isUnresolved()) {
                throw new MirrorgateException(ErrorCode.EINVAL, config.source() + ": key address: cannot resolve \""
                        + config.address() + "\" (expected: this node's address)");
            }
            DatagramChannel channel = DatagramChannel.open(bindTo.getAddress() instanceof Inet6Address
                    ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
            opened.push(channel);
            channel.bind(bindTo);
            DaemonThreads.start("heartbeat-receiver", () -> receive(channel, tracker));

            supervisor.resumeInterrupted();
            ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(
                    DaemonThreads.named("heartbeat-ticker"));
            opened.push(() -> {
                ticker.shutdownNow();
                ticker.awaitTermination(5, TimeUnit.SECONDS);
            });
            long period = config.heartbeat().keepalive().toNanos();
            ticker.scheduleAtFixedRate(() -> beat(config, channel, codec, supervisor), 0, period, TimeUnit.NANOSECONDS);

            opened.push(() -> Files.deleteIfExists(config.control()));
            opened.push(startControl(config, supervisor));
            LOG.info("fsck-orchestrator started node={} heartbeat={} peer={} control={}", config.node(),
                    channel.getLocalAddress(), config.peerEndpoint(), config.control());
            return new OrchestratorDaemon(opened, supervisor, (InetSocketAddress) channel.getLocalAddress());
        } catch (IOException e) {
            opened.closeAfter(e);
            throw new MirrorgateException(ErrorCode.EIO, "cannot start: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            opened.closeAfter(e);
            throw e;
        }
    }

    private static ControlServer startControl(OrchestratorConfig config, Supervisor supervisor) throws IOException {
        if (Files.exists(config.control())) {
            try {
                ControlClient.call(config.control(), "status", Map.of());
                throw new MirrorgateException(ErrorCode.EACCES, "another fsck-orchestrator answers on "
                        + config.control() + " (expected: one daemon per node)");
            } catch (IOException stale) {
                Files.deleteIfExists(config.control()); // left by a daemon that died
            }
        }
        Files.createDirectories(config.control().getParent());
        return ControlServer.start(config.control(), request -> handle(request, supervisor));
    }

    private static ObjectNode handle(JsonNode request, Supervisor supervisor) {
        String command = request.path("command").asText();
        if (command.equals("refresh")) {
            supervisor.refreshLocal(); // a plan ran beside the daemon: the next heartbeat must say so
        } else if (!command.equals("status")) {
            ObjectNode error = JSON.createObjectNode();
            error.put("ok", false);
            error.put("code", "EINVAL");
            error.put("error", "unknown command \"" + command + "\" (expected: status or refresh)");
            return error;
        }
        ObjectNode reply = supervisor.status();
        reply.put("ok", true);
        return reply;
    }

    private static void beat(OrchestratorConfig config, DatagramChannel channel, HeartbeatCodec codec,
            Supervisor supervisor) {
        try {
            InetSocketAddress peer = new InetSocketAddress(config.peerAddress(), config.heartbeat().port());
            if (peer.isUnresolved()) {
                LOG.warn("cannot resolve the peer's address {}", config.peerAddress());
            } else {
                channel.send(ByteBuffer.wrap(codec.encode(supervisor.nextHeartbeat())), peer);
            }
        } catch (IOException e) {
            LOG.debug("heartbeat not sent: {}", e.toString()); // the network may be down: the peer's problem to see
        } catch (RuntimeException e) {
            LOG.error("heartbeat failed", e);
        }
        try {
            supervisor.tick();
        } catch (RuntimeException e) {
            LOG.error("tick failed", e);
        }
    }

    private static void receive(DatagramChannel channel, PeerTracker tracker) {
        ByteBuffer buffer = ByteBuffer.allocate(HeartbeatCodec.MAX_PACKET + 1);
        while (channel.isOpen()) {
            try {
                buffer.clear();
                Object from = channel.receive(buffer);
                tracker.receive(buffer.array(), buffer.position(), from);
            } catch (ClosedChannelException closed) {
                return;
            } catch (IOException | RuntimeException e) {
                LOG.warn("heartbeat receive failed: {}", e.toString());
            }
        }
    }

    public Supervisor supervisor() {
        return supervisor;
    }

    /** The line {@code run} prints once it serves. */
    public String readyLine() {
        return "fsck-orchestrator running heartbeat=" + local.getAddress().getHostAddress() + ":" + local.getPort();
    }

    @Override
    public void close() {
        opened.close();
    }
}
