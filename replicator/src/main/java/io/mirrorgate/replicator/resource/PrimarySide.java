package io.mirrorgate.replicator.resource;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.common.lifecycle.CloseStack;
import io.mirrorgate.common.lifecycle.DaemonThreads;
import io.mirrorgate.replicator.generation.PeerInfo;
import io.mirrorgate.replicator.mirror.MirrorDevice;
import io.mirrorgate.replicator.mirror.PeerLink;
import io.mirrorgate.replicator.resync.ResyncEngine;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.SingleExportResolver;
import io.mirrorgate.server.nbd.NbdServer;
import io.mirrorgate.common.net.HostPort;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a resource runs while it is primary, on its {@link Resource}: the peer link, the control
 * and metadata threads, the {@link MirrorDevice}, the {@link ResyncEngine}, the {@link
 * ResourceRuntime} that decides on them and, once started, the NBD server of the mirrored volume;
 * opened in that order onto one {@link CloseStack} and closed in reverse, on failure and on
 * {@link #close} alike. With {@link Builder#flushOnClose}, closing is the clean end of the role:
 * NBD drains, the runtime stops, both replicas are flushed and reported durable to the bitmap
 * (with {@code settle}, the bitmap then keeps only the owed regions), the peer link closes.
 */
public final class PrimarySide<P extends PeerLink> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PrimarySide.class);
    private static final long FLUSH_TIMEOUT_MS = 30_000;

    private final String name;
    private final Resource resource;
    private final Optional<HostPort> nbdListen;
    private final CloseStack parts;
    private P peer;
    private ResourceRuntime runtime;
    private NbdServer nbd;
    private boolean closed;
    private volatile boolean settle;
    private volatile boolean peerAttachedAtEnd;
    private volatile boolean closeFailed;

    /** What a primary side is made of; {@link #open} or {@link #start} makes it. */
    public static final class Builder<P extends PeerLink> {
        private final Resource resource;
        private final ResourceOptions options;
        private final ResourceAssembly.Opener<P> peer;
        private ResourceAssembly.Opener<ExecutorService> control;
        private ResourceAssembly.Opener<ExecutorService> metadata;
        private Optional<HostPort> nbdListen = Optional.empty();
        private Runnable settleBitmap;
        private Consumer<String> onFenced = reason -> { };

        private Builder(Resource resource, ResourceOptions options, ResourceAssembly.Opener<P> peer) {
            this.resource = resource;
            this.options = options;
            this.peer = peer;
            this.control = parts -> thread("replicator-" + options.name());
            this.metadata = parts -> thread("metadata-" + options.name());
        }

        private static ExecutorService thread(String name) {
            return Executors.newSingleThreadExecutor(DaemonThreads.named(name));
        }

        /** The runtime's control and metadata threads (default: a named thread each); stopped with the side. */
        public Builder<P> executors(ResourceAssembly.Opener<ExecutorService> controlThread,
                ResourceAssembly.Opener<ExecutorService> metadataThread) {
            this.control = controlThread;
            this.metadata = metadataThread;
            return this;
        }

        /** Serves the mirrored volume over NBD on {@code listen} once started (default: not). */
        public Builder<P> nbd(Optional<HostPort> listen) {
            this.nbdListen = listen;
            return this;
        }

        /**
         * Ends the role cleanly on close: both replicas flushed and reported durable to the bitmap;
         * {@link PrimarySide#close(boolean) close(true)} then runs {@code settleBitmap}.
         */
        public Builder<P> flushOnClose(Runnable settle) {
            this.settleBitmap = Objects.requireNonNull(settle, "settle");
            return this;
        }

        /** Hears, once, that this primary was superseded. */
        public Builder<P> onFenced(Consumer<String> listener) {
            this.onFenced = listener;
            return this;
        }

        /** Opens the parts; nothing is started (the runtime does not listen, the link does not connect). */
        public PrimarySide<P> open() {
            return open(null);
        }

        /**
         * Opens the parts and {@link PrimarySide#start starts} them, waiting up to {@code awaitPeer}
         * for the peer's first answer; a failure closes what was opened.
         */
        public PrimarySide<P> start(Duration awaitPeer) {
            return open(Objects.requireNonNull(awaitPeer, "awaitPeer"));
        }

        private PrimarySide<P> open(Duration startAwaiting) {
            PrimarySide<P> side = new PrimarySide<>(resource.name(), resource, nbdListen);
            try {
                side.peer = side.parts.push(peer.open(side.parts));
                if (settleBitmap != null) {
                    side.parts.push(() -> side.endOfRole(settleBitmap));
                }
                ExecutorService controlThread = control.open(side.parts);
                ExecutorService metadataThread = metadata.open(side.parts);
                side.parts.push(side.watched(() -> stop(controlThread, metadataThread)));
                MirrorDevice mirror = side.parts.push(new MirrorDevice(resource.local(), side.peer,
                        resource.dirty(), resource.store(), options.mode(), options.asyncBacklogBytes(),
                        metadataThread));
                ResyncEngine engine = side.parts.push(new ResyncEngine(options.name(), mirror, resource.dirty(),
                        options.resync()));
                side.runtime = new ResourceRuntime(options, resource, side.peer, mirror, engine, controlThread,
                        metadataThread);
                side.parts.push(side.watched(() -> {
                    side.peerAttachedAtEnd = mirror.isPeerAttached();
                    side.runtime.close();
                }));
                side.runtime.onFenced(onFenced);
                if (startAwaiting != null) {
                    side.start(startAwaiting);
                }
                return side;
            } catch (RuntimeException | Error e) {
                side.parts.closeAfter(e);
                throw e;
            }
        }

        private static void stop(ExecutorService control, ExecutorService metadata) {
            control.shutdown();
            metadata.shutdown();
            try {
                control.awaitTermination(5, TimeUnit.SECONDS);
                metadata.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private PrimarySide(String name, Resource resource, Optional<HostPort> nbdListen) {
        this.name = name;
        this.resource = resource;
        this.nbdListen = nbdListen;
        this.parts = new CloseStack("primary " + name);
    }

    /** A primary side on {@code resource}; {@code peer} opens the link to the peer. */
    public static <P extends PeerLink> Builder<P> builder(Resource resource, ResourceOptions options,
            ResourceAssembly.Opener<P> peer) {
        return new Builder<>(resource, options, peer);
    }

    /**
     * Takes the primary role: the runtime listens, then the peer link connects. With a non-zero
     * {@code awaitPeer}, waits (bounded) for the first connection attempt's outcome before the NBD
     * endpoint opens, so that a node started as primary after it was superseded learns it is
     * fenced before it accepts a write.
     */
    public void start(Duration awaitPeer) {
        runtime.start();
        peer.start();
        if (!awaitPeer.isZero()) {
            awaitFirstOutcome(awaitPeer);
        }
        if (nbdListen.isPresent()) {
            NbdServer server = NbdServer.start(new SingleExportResolver(name, runtime.device(), Access.RW),
                    nbdListen.get().host(), nbdListen.get().port(), "nbd_listen of resource " + name);
            parts.push(watched(server));
            nbd = server;
        }
    }

    private void awaitFirstOutcome(Duration bound) {
        try {
            peer.firstOutcome().get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.warn("peer not reached before serving resource={} peer={} waitedMs={}", name,
                    peer.device().name(), bound.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MirrorgateException(ErrorCode.EIO, name + ": interrupted waiting for the peer", e);
        } catch (ExecutionException e) {
            LOG.warn("peer first attempt failed resource={} error={}", name,
                    MirrorgateException.messageOf(e.getCause()));
        }
    }

    public ResourceRuntime runtime() {
        return runtime;
    }

    /** The mirrored volume. */
    public MirrorDevice device() {
        return runtime.device();
    }

    public P peer() {
        return peer;
    }

    /** What the peer told in the handshake, while connected to another replicator. */
    public Optional<PeerInfo> peerInfo() {
        return peer.peerInfo();
    }

    /** The bound NBD address, or null when not serving NBD. */
    public InetSocketAddress nbdAddress() {
        NbdServer server = nbd;
        return server != null ? server.localAddress() : null;
    }

    /**
     * Ends the role: closes every part in reverse; with {@link Builder#flushOnClose} and {@code
     * settle}, the bitmap keeps only the owed regions marked once both replicas are durable (a role
     * change: the peer need not recopy the activity set). Idempotent.
     */
    public void close(boolean settleBitmap) {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        this.settle = settleBitmap;
        parts.close();
    }

    @Override
    public void close() {
        close(false);
    }

    /** A part whose close failure keeps the bitmap from settling. */
    private AutoCloseable watched(AutoCloseable part) {
        return () -> {
            try {
                part.close();
            } catch (Exception e) {
                closeFailed = true;
                throw e;
            }
        };
    }

    /**
     * Between the runtime's end and the peer link's: flushes the local replica and, when it was
     * receiving writes, the peer; when both are durable the bitmap may unmark what they hold.
     */
    private void endOfRole(Runnable settleBitmap) {
        long mark = resource.dirty().durabilityMark();
        waitFor(resource.local().flush(), "local flush");
        if (!peerAttachedAtEnd || !peer.isConnected()) {
            return;
        }
        try {
            waitFor(peer.device().flush(), "peer flush");
        } catch (MirrorgateException e) {
            LOG.warn("peer flush failed, regions stay marked resource={} error={}", name, e.getMessage());
            return;
        }
        resource.dirty().bothDurable(mark);
        if (settle && !closeFailed) {
            settleBitmap.run();
        }
    }

    private void waitFor(CompletableFuture<Void> f, String what) {
        try {
            f.get(FLUSH_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MirrorgateException(ErrorCode.EIO, name + ": interrupted during " + what, e);
        } catch (Exception e) {
            throw new MirrorgateException(MirrorgateException.codeOf(e.getCause() != null ? e.getCause() : e),
                    name + ": " + what + " failed: " + MirrorgateException.messageOf(e), e);
        }
    }
}
