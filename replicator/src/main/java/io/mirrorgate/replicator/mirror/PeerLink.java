package io.mirrorgate.replicator.mirror;

import io.mirrorgate.replicator.generation.PeerInfo;
import io.mirrorgate.common.error.MirrorgateException;
import java.util.Optional;
import io.mirrorgate.server.device.BlockDevice;
import java.util.concurrent.CompletableFuture;

/**
 * What the mirror needs of its peer: the peer's block device, whether it is reachable now, its
 * data generation, and events when it comes and goes. The production implementation adapts a
 * ggate remote block device (which reports the export's generation in its handshake and has a
 * set-generation command); tests use an in-memory one.
 *
 * <p>Listeners may be called on any thread (a Netty event loop included); they must not block.
 * The resource assembly ({@code resource.PrimarySide}) starts the link after the runtime listens
 * and closes it last.
 */
public interface PeerLink extends AutoCloseable {

    /** Starts connecting, in the background; idempotent. An in-memory link has nothing to start. */
    default void start() {
    }

    /**
     * Completes once the first connection attempt after {@link #start} has an outcome (connected,
     * refused or failed); a new primary waits for it, bounded, before it serves writes.
     */
    default CompletableFuture<Void> firstOutcome() {
        return CompletableFuture.completedFuture(null);
    }

    /** The peer's block device. Requests fail (for example {@code ECONNREFUSED}) while it is away. */
    BlockDevice device();

    /** Whether the peer is connected now. */
    boolean isConnected();

    /**
     * The peer's data generation as it reported it at the last connection (only meaningful while
     * {@link #isConnected()}).
     */
    long generation();

    /**
     * What the peer told of itself in the replication handshake (another replicator: its role,
     * epoch, generations and marked regions); empty for a plain ggate-server export or while
     * not connected.
     */
    default Optional<PeerInfo> peerInfo() {
        return Optional.empty();
    }

    /** Asks the peer to record {@code generation} as its data generation, durably. */
    CompletableFuture<Void> setGeneration(long generation);

    /** Registers a listener for connection changes; returns a handle that unregisters it. */
    AutoCloseable addListener(Listener listener);

    /** Connection events of the peer. */
    interface Listener {
        /** The peer is connected (again); {@link #generation()} is current. */
        void connected();

        /** The peer is gone; its requests fail until the next {@link #connected()}. */
        void disconnected();

        /**
         * The peer refused this side (a handshake refusal: {@code ESTALE} when this side's epoch
         * is older, so it was superseded; {@code EBUSY} when the peer is primary too).
         */
        default void refused(MirrorgateException cause) {
        }
    }

    /** Disconnects for good; idempotent. An in-memory link has nothing to close. */
    @Override
    default void close() {
    }
}
