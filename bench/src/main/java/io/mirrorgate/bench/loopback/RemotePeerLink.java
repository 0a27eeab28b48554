package io.mirrorgate.bench.loopback;

import io.mirrorgate.client.remote.ConnectionState;
import io.mirrorgate.client.remote.RemoteBlockDevice;
import io.mirrorgate.client.remote.StateListener;
import io.mirrorgate.replicator.mirror.PeerLink;
import io.mirrorgate.server.device.BlockDevice;
import java.util.concurrent.CompletableFuture;

/**
 * The smallest honest {@link PeerLink} over a connected {@link RemoteBlockDevice}: connected
 * means the ggate connection is up and admitted, the generation is the one the server reported
 * in its handshake (or last set through the device), and the connection state changes of the
 * device become the link's events. It does not own the device.
 */
public final class RemotePeerLink implements PeerLink {
    private final RemoteBlockDevice remote;

    public RemotePeerLink(RemoteBlockDevice remote) {
        this.remote = remote;
    }

    @Override
    public BlockDevice device() {
        return remote;
    }

    @Override
    public boolean isConnected() {
        return remote.state() == ConnectionState.CONNECTED;
    }

    @Override
    public long generation() {
        return remote.generation();
    }

    @Override
    public CompletableFuture<Void> setGeneration(long generation) {
        return remote.setGeneration(generation);
    }

    @Override
    public AutoCloseable addListener(Listener listener) {
        StateListener adapter = (from, to, reason) -> {
            if (to == ConnectionState.CONNECTED && from != ConnectionState.CONNECTED) {
                listener.connected();
            } else if (from == ConnectionState.CONNECTED && to != ConnectionState.CONNECTED) {
                listener.disconnected();
            }
        };
        remote.addStateListener(adapter);
        return () -> remote.removeStateListener(adapter);
    }
}
