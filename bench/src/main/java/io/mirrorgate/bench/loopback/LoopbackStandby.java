package io.mirrorgate.bench.loopback;

import io.mirrorgate.client.remote.RemoteDeviceOptions;
import io.mirrorgate.replicator.peer.RemotePeerLink;
import io.mirrorgate.server.device.LocalBlockDevice;
import io.mirrorgate.server.device.LocalDeviceOptions;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.SingleExportResolver;
import io.mirrorgate.server.ggate.GgateServerConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The standby replica of a benchmark: a {@link LocalBlockDevice} on an image file, exported
 * read-write by an embedded ggate server on 127.0.0.1 (ephemeral port), with its per-export
 * state (epoch, generation) in {@code stateDirectory}. Closing stops the server, then the device.
 */
public final class LoopbackStandby implements AutoCloseable {
    /** The export name the standby serves. */
    public static final String EXPORT = "/standby";
    private static final byte[] KEY = "mirrorgate-bench-key".getBytes(StandardCharsets.UTF_8);

    private final LocalBlockDevice device;
    private final StandbyServer server;

    private LoopbackStandby(LocalBlockDevice device, StandbyServer server) {
        this.device = device;
        this.server = server;
    }

    /** Opens {@code image} and starts serving it. */
    public static LoopbackStandby start(Path image, Path stateDirectory) throws InterruptedException {
        LocalBlockDevice device = LocalBlockDevice.open(image, LocalDeviceOptions.defaults());
        try {
            GgateServerConfig config = GgateServerConfig.of(
                    new SingleExportResolver(EXPORT, device, Access.RW), KEY, stateDirectory);
            return new LoopbackStandby(device, StandbyServer.start(config));
        } catch (InterruptedException | RuntimeException e) {
            device.close();
            throw e;
        }
    }

    public int port() {
        return server.port();
    }

    /** The standby's own device (for its counters). */
    public LocalBlockDevice device() {
        return device;
    }

    /** How the primary's ggate client reaches the standby (no compression, as configured by default). */
    public RemoteDeviceOptions clientOptions(String nodeId) {
        return RemoteDeviceOptions.builder("127.0.0.1", port(), EXPORT, KEY)
                .nodeId(nodeId).requestTimeout(Duration.ofSeconds(60))
                // as the daemon's peer link (RemotePeerLink.options)
                .reconnectBackoff(RemotePeerLink.RECONNECT_INITIAL, RemotePeerLink.RECONNECT_MAX).build();
    }

    /** Stops listening and drops every connection: the peer is gone (the device stays open). */
    public void stopServing() throws InterruptedException {
        server.stop();
    }

    /** Listens again on the same port, after {@link #stopServing}: the standby is back. */
    public void startServing() throws InterruptedException {
        server.restart();
    }

    @Override
    public void close() throws InterruptedException {
        try {
            server.close();
        } finally {
            device.close();
        }
    }
}
