package io.mirrorgate.replicator.daemon;

import io.mirrorgate.common.cli.Keys;
import io.mirrorgate.common.control.ControlClient;
import io.mirrorgate.common.control.ControlServer;
import io.mirrorgate.replicator.config.ReplicatorConfig;
import io.mirrorgate.replicator.config.ResourceConfig;
import io.mirrorgate.replicator.config.Role;
import io.mirrorgate.replicator.peer.RemotePeerLink;
import io.mirrorgate.replicator.resource.ResourceStatus;
import io.mirrorgate.common.lifecycle.CloseStack;
import io.mirrorgate.server.daemon.GgateDaemon;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code replicator run}: every selected resource of a configuration, each in its start-up role
 * (primary: local device, bitmap, peer link, mirror, resync, NBD export named after the resource;
 * secondary: local device, bitmap and the replica served to the peer's primary on {@code
 * listen}), one control socket and one Prometheus endpoint.
 *
 * <p>{@link #start} checks everything it can before opening anything (the resources exist, the
 * local replicas, metadata and key files are there, the control socket is not
 * in use), then opens the resources in configuration order; a failure half way closes what was
 * opened. The peer is never waited for: it connects in the background. {@link #close()} is the
 * SIGTERM path: control and metrics stop, then each resource closes (NBD drains, both replicas
 * flushed, bitmap closed clean), in reverse order.
 */
public final class ReplicatorDaemon implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicatorDaemon.class);

    private final ReplicatorConfig config;
    private final Map<String, RunningResource> resources;
    private final CloseStack opened;
    private final ControlServer control;
    private final MetricsServer metrics;
    private boolean closed;

    private ReplicatorDaemon(ReplicatorConfig config, Map<String, RunningResource> resources,
            CloseStack opened, ControlServer control, MetricsServer metrics) {
        this.config = config;
        this.resources = resources;
        this.opened = opened;
        this.control = control;
        this.metrics = metrics;
    }

    /** Starts the resources of {@code config} (all of them when {@code names} is empty). */
    public static ReplicatorDaemon start(ReplicatorConfig config, List<String> names) {
        return start(config, names, RemotePeerLink.Backoff.defaults());
    }

    /** As {@link #start(ReplicatorConfig, List)}, with the peer links' connection backoff. */
    public static ReplicatorDaemon start(ReplicatorConfig config, List<String> names,
            RemotePeerLink.Backoff backoff) {
        List<ResourceConfig> selected = select(config, names);
        Map<String, byte[]> keys = new LinkedHashMap<>();
        for (ResourceConfig r : selected) {
            check(r);
            keys.put(r.name(), Keys.read(r.keyFile()));
        }
        Path socket = config.control();
        claimSocket(socket);
        CloseStack opened = new CloseStack("replicator");
        Map<String, RunningResource> running = Collections.synchronizedMap(new LinkedHashMap<>());
        try {
            for (ResourceConfig r : selected) {
                RunningResource resource = RunningResource.open(r, keys.get(r.name()), backoff);
                opened.push(resource);
                running.put(r.name(), resource);
            }
            Map<String, RunningResource> view = Collections.unmodifiableMap(new LinkedHashMap<>(running));
            MetricsServer metrics = null;
            if (config.metrics().isPresent()) {
                metrics = MetricsServer.start(config.metrics().get(), () -> List.copyOf(view.values()));
                opened.push(metrics);
            }
            ControlServer control;
            try {
                control = ControlServer.start(socket, new ControlHandler(config.node(), view));
            } catch (IOException e) {
                throw new MirrorgateException(ErrorCode.EIO, e.getMessage(), e);
            }
            opened.push(() -> Files.deleteIfExists(socket));
            opened.push(control);
            ReplicatorDaemon daemon = new ReplicatorDaemon(config, view, opened, control, metrics);
            LOG.info("replicator running node={} {}", config.node(), daemon.readyLine());
            return daemon;
        } catch (RuntimeException e) {
            opened.closeAfter(e);
            throw e;
        }
    }

    private static List<ResourceConfig> select(ReplicatorConfig config, List<String> names) {
        List<ResourceConfig> selected = new ArrayList<>();
        if (names.isEmpty()) {
            selected.addAll(config.resources().values());
            if (selected.isEmpty()) {
                throw new MirrorgateException(ErrorCode.EINVAL, config.source() + ": no resource is configured"
                        + " (expected: at least one [resource.NAME] table)");
            }
            return selected;
        }
        for (String name : names) {
            selected.add(config.resource(name));
        }
        return selected;
    }

    /** What can be checked before opening: the files exist. */
    private static void check(ResourceConfig r) {
        if (!Files.exists(r.local())) {
            throw new MirrorgateException(ErrorCode.ENOENT, "resource " + r.name() + ": local replica "
                    + r.local() + " does not exist (expected: an image file or block device; see replicator"
                    + " create --size)");
        }
        if (!Files.exists(r.metadata())) {
            throw new MirrorgateException(ErrorCode.ENOENT, "resource " + r.name() + ": metadata " + r.metadata()
                    + " does not exist (expected: made by replicator create " + r.name() + ")");
        }
        if (r.role() == Role.SECONDARY && r.listen().isEmpty()) {
            throw new MirrorgateException(ErrorCode.EINVAL, r.source() + ": resource " + r.name()
                    + ": key listen: off, but role is \"secondary\" (expected: listen = \"HOST:PORT\", where the"
                    + " primary peer reaches this replica; or run only the primary resources by name)");
        }
    }

    /**
     * Makes sure the control socket can be created: its directory exists, and a socket file left
     * by a dead replicator is removed. A live one that answers is an error.
     */
    private static void claimSocket(Path socket) {
        try {
            Files.createDirectories(socket.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new MirrorgateException(ErrorCode.EIO, "cannot create the directory of control socket "
                    + socket + ": " + io.mirrorgate.common.error.Reasons.fileReason(e), e);
        }
        if (!Files.exists(socket)) {
            return;
        }
        try {
            ControlClient.call(socket, "status", Map.of());
        } catch (IOException stale) {
            LOG.info("removing stale control socket path={} ({})", socket, stale.getMessage());
            try {
                Files.deleteIfExists(socket);
            } catch (IOException e) {
                throw new MirrorgateException(ErrorCode.EIO, "cannot remove stale control socket " + socket
                        + ": " + io.mirrorgate.common.error.Reasons.fileReason(e), e);
            }
            return;
        }
        throw new MirrorgateException(ErrorCode.EACCES, "control socket " + socket + " is in use by a running"
                + " replicator (expected: one replicator per configuration; stop it first)");
    }

    /**
     * The line printed on stdout when serving: {@code replicator running resource=r0
     * nbd=127.0.0.1:10810 role=primary [listen=0.0.0.0:7790] [resource=r1 ...]
     * control=/run/mirrorgate/replicator.sock metrics=127.0.0.1:9380}, with bound ports ({@code
     * nbd=off} while secondary or not configured, {@code metrics=off} when not configured).
     */
    public String readyLine() {
        StringBuilder line = new StringBuilder("replicator running");
        resources.values().forEach(r -> {
            line.append(" resource=").append(r.name())
                    .append(" nbd=").append(r.nbdAddress() == null ? "off" : StatusJson.format(r.nbdAddress()))
                    .append(" role=").append(StatusJson.lower(r.role()));
            if (r.listenAddress() != null) {
                line.append(" listen=").append(StatusJson.format(r.listenAddress()));
            }
        });
        line.append(" control=").append(config.control());
        line.append(" metrics=").append(metrics == null ? "off" : StatusJson.format(metrics.address()));
        return line.toString();
    }

    /** The names of the running resources, in configuration order. */
    public List<String> resourceNames() {
        return List.copyOf(resources.keySet());
    }

    /** The bound NBD address of {@code resource}, or null when its {@code nbd_listen} is off. */
    public InetSocketAddress nbdAddress(String resource) {
        return running(resource).nbdAddress();
    }

    /** The bound listen address of {@code resource}, or null when its {@code listen} is off. */
    public InetSocketAddress listenAddress(String resource) {
        return running(resource).listenAddress();
    }

    /** Changes the role of {@code resource} (as {@code replicator role}); returns what was done. */
    public String changeRole(String resource, io.mirrorgate.replicator.config.Role role, boolean force) {
        return running(resource).changeRole(role, force);
    }

    /** The bound metrics address, or null when metrics are off. */
    public InetSocketAddress metricsAddress() {
        return metrics != null ? metrics.address() : null;
    }

    /** The control socket. */
    public Path controlSocket() {
        return control.socket();
    }

    /** A status snapshot of {@code resource}. */
    public ResourceStatus status(String resource) {
        return running(resource).status();
    }

    private RunningResource running(String resource) {
        RunningResource r = resources.get(resource);
        if (r == null) {
            throw new MirrorgateException(ErrorCode.ENOENT, "no running resource \"" + resource + "\"");
        }
        return r;
    }

    /** Stops everything, in reverse start order; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        LOG.info("replicator stopping");
        opened.close();
        LOG.info("replicator stopped");
    }
}
