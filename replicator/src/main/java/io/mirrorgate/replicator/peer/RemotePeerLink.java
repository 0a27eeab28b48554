package io.mirrorgate.replicator.peer;

import io.mirrorgate.common.metrics.Counters;
import io.mirrorgate.client.remote.ConnectionState;
import io.mirrorgate.client.remote.RemoteBlockDevice;
import io.mirrorgate.client.remote.RemoteDeviceOptions;
import io.mirrorgate.client.remote.RemoteRefusedException;
import io.mirrorgate.client.remote.StateListener;
import io.mirrorgate.replicator.config.ResourceConfig;
import io.mirrorgate.replicator.generation.PeerInfo;
import io.mirrorgate.replicator.mirror.PeerLink;
import io.mirrorgate.common.lifecycle.DaemonThreads;
import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.tls.TlsMode;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The peer of a replicated resource: its ggate-server export, attached with a {@link
 * RemoteBlockDevice} that this link owns.
 *
 * <p>The peer may be down when the replicator starts: {@link #start()} returns at once and the
 * link connects in the background, with exponential backoff while the network fails. A refused
 * handshake (bad key, fenced, no access, no such export) is logged as an error with the server's
 * reason and retried slowly ({@link Backoff#refused}). While connected, the remote device
 * reconnects by itself; with {@link #options} the requests in flight when the connection breaks
 * fail at once instead of being re-sent (the mirror owes them); when it closes for good (for example
 * fenced on a reconnect), a new one is connected.
 *
 * <p>{@link #device()} is one stable device for the mirror's whole life (see {@link
 * PeerDevice}). Listeners hear {@code connected()} on each entry into CONNECTED (the first
 * connection included) and {@code disconnected()} on each exit from it; they are called on the
 * remote device's event loop or the link's own thread, and must not block.
 */
public final class RemotePeerLink implements PeerLink, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RemotePeerLink.class);

    /** The first retry of a connection to the peer after a network failure (doubled per failure) ... */
    public static final Duration RECONNECT_INITIAL = Duration.ofMillis(50);
    /** ... up to this: a standby that comes back is noticed this soon. */
    public static final Duration RECONNECT_MAX = Duration.ofMillis(100);

    /**
     * Delays between connection attempts.
     *
     * @param initial the first retry after a network failure (doubled per failure)
     * @param max the longest delay after network failures
     * @param refused the delay after a refused handshake
     */
    public record Backoff(Duration initial, Duration max, Duration refused, Duration busy) {
        /** With the default {@code busy} delay (1 s). */
        public Backoff(Duration initial, Duration max, Duration refused) {
            this(initial, max, refused, Duration.ofSeconds(1));
        }

        /**
         * 50 ms doubling to 100 ms after network failures (a peer that comes back is noticed
         * within a tenth of a second; a refused TCP connection costs next to nothing, and a failure
         * for the same reason as the last one is logged at debug only), 30 s after a refusal
         * (key, access, fencing), 1 s after a busy peer (primary too, or waiting to be made
         * secondary).
         */
        public static Backoff defaults() {
            return new Backoff(RECONNECT_INITIAL, RECONNECT_MAX, Duration.ofSeconds(30),
                    Duration.ofSeconds(1));
        }
    }

    /**
     * The replication handshake with a peer that is another replicator: what this side tells,
     * and the check of what the peer told (a refusal throws, with the reason).
     */
    public interface Handshake {
        /** This side's information now. */
        PeerInfo local();

        /** Accepts the peer's information, or throws a {@link MirrorgateException} saying why not. */
        void check(PeerInfo peer);
    }

    private final String resource;
    private final RemoteDeviceOptions options;
    private final Backoff backoff;
    private final PeerDevice device;
    private final ScheduledExecutorService scheduler;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    /** What the link counts (connection attempts that failed, connections made). */
    private enum Count { CONNECTS, FAILED_ATTEMPTS }

    private final Counters<Count> counts = new Counters<>(Count.class);

    private volatile RemoteBlockDevice current;
    private volatile Handshake handshake;
    private final CompletableFuture<Void> firstOutcome = new CompletableFuture<>();
    private volatile PeerInfo peerInfo;
    private boolean announced;
    private boolean started;
    private boolean closed;
    private long nextDelayNanos;
    private volatile String lastError;
    private volatile long lastSize;
    private volatile int lastBlockSize = 512;

    /** A link for {@code resource} connecting with {@code options}; nothing happens before {@link #start}. */
    public RemotePeerLink(String resource, RemoteDeviceOptions options, Backoff backoff) {
        this.resource = resource;
        this.options = options;
        this.backoff = backoff;
        this.nextDelayNanos = backoff.initial().toNanos();
        this.device = new PeerDevice(this, options.uri());
        this.scheduler = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("peer-" + resource));
    }

    /**
     * The remote device options of a configured resource: its {@code remote} and {@code
     * remote_path}, the node name as node id, epoch 0, its compression and timeout.
     */
    public static RemoteDeviceOptions options(ResourceConfig config, byte[] key) {
        return options(config, key, 0);
    }

    /** As {@link #options(ResourceConfig, byte[])}, presenting {@code epoch} (the fencing token). */
    public static RemoteDeviceOptions options(ResourceConfig config, byte[] key, long epoch) {
        Duration timeout = config.timeout();
        return RemoteDeviceOptions.builder(config.remote().host(), config.remote().port(),
                        config.remotePath(), key)
                .nodeId(config.node())
                .epoch(epoch)
                .compression(config.compression())
                .requestTimeout(timeout)
                .connectTimeout(timeout.compareTo(Duration.ofSeconds(10)) < 0 ? timeout : Duration.ofSeconds(10))
                .reconnectBackoff(RECONNECT_INITIAL, RECONNECT_MAX)
                // the mirror has the local copy and the bitmap: a write in flight when the link
                // breaks completes locally at once and is owed, rather than waiting for the peer
                .resendOnReconnect(false)
                .tls(config.tls() == TlsMode.REQUIRE ? config.tlsFiles().clientContext() : null)
                .build();
    }

    /** Sets the replication handshake run on each connection to a replicator peer (before start). */
    public void handshake(Handshake h) {
        this.handshake = h;
    }

    /**
     * Completes once the first connection attempt has an outcome: connected (handshake done),
     * refused, or failed. A new primary waits for it (bounded) before serving writes, so that a
     * superseded node learns it is fenced before it accepts any.
     */
    public CompletableFuture<Void> firstOutcome() {
        return firstOutcome;
    }

    /** Starts connecting in the background; returns at once. */
    public synchronized void start() {
        if (started || closed) {
            return;
        }
        started = true;
        scheduler.execute(this::attempt);
    }

    private void attempt() {
        synchronized (this) {
            if (closed || current != null) {
                return;
            }
        }
        CompletableFuture<RemoteBlockDevice> attempt;
        try {
            attempt = RemoteBlockDevice.connectAsync(options);
        } catch (RuntimeException e) {
            attempt = CompletableFuture.failedFuture(e); // retried like any failed attempt
        }
        attempt.whenComplete((d, err) -> {
            if (err != null) {
                failed(err);
            } else {
                install(d);
            }
        });
    }

    private void failed(Throwable err) {
        Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null
                ? err.getCause() : err;
        String reason = MirrorgateException.messageOf(cause);
        boolean refused = cause instanceof RemoteRefusedException;
        long delay;
        synchronized (this) {
            if (closed) {
                return;
            }
            counts.increment(Count.FAILED_ATTEMPTS);
            if (refused) {
                delay = refusalDelay(cause);
            } else {
                delay = nextDelayNanos;
                nextDelayNanos = Math.min(nextDelayNanos * 2, backoff.max().toNanos());
            }
            schedule(delay);
        }
        String previous = lastError;
        lastError = reason;
        long ms = TimeUnit.NANOSECONDS.toMillis(delay);
        if (refused) {
            MirrorgateException refusal = (MirrorgateException) cause;
            listeners.forEach(l -> l.refused(refusal));
        }
        firstOutcome.complete(null);
        if (refused && MirrorgateException.codeOf(cause) == ErrorCode.EBUSY) {
            if (!reason.equals(previous)) {
                LOG.warn("peer busy resource={} peer={} reason=\"{}\" retryInMs={}", resource,
                        device.name(), reason, ms);
            }
        } else if (refused) {
            LOG.error("peer refused the connection resource={} peer={} code={} reason=\"{}\" retryInMs={}"
                    + " (check key_file, the peer's exports file and its fencing epoch)", resource,
                    device.name(), MirrorgateException.codeOf(cause), reason, ms);
        } else if (!reason.equals(previous)) {
            LOG.warn("peer unreachable resource={} peer={} reason=\"{}\" retryInMs={}", resource,
                    device.name(), reason, ms);
        } else {
            LOG.debug("peer still unreachable resource={} peer={} reason=\"{}\" retryInMs={}", resource,
                    device.name(), reason, ms);
        }
    }

    private void schedule(long delayNanos) {
        if (!scheduler.isShutdown()) {
            scheduler.schedule(this::attempt, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void install(RemoteBlockDevice d) {
        synchronized (this) {
            if (closed || current != null) {
                d.close();
                return;
            }
            current = d;
            announced = false;
            nextDelayNanos = backoff.initial().toNanos();
            lastSize = d.size();
            lastBlockSize = d.blockSize();
            d.addStateListener(stateListener(d));
            if (d.state() == ConnectionState.CONNECTED) {
                handshake(d, "connected");
            } else if (d.state() == ConnectionState.CLOSED) {
                replace(d, "closed right after connecting");
            }
        }
    }

    private StateListener stateListener(RemoteBlockDevice d) {
        return (from, to, reason) -> {
            synchronized (this) {
                if (d != current) {
                    return;
                }
                if (to == ConnectionState.CONNECTED) {
                    lastSize = d.size();
                    lastBlockSize = d.blockSize();
                    handshake(d, reason);
                } else if (announced) {
                    announced = false;
                    lastError = reason;
                    LOG.warn("peer disconnected resource={} peer={} state={} reason=\"{}\"", resource,
                            device.name(), to, reason);
                    listeners.forEach(Listener::disconnected);
                }
                if (to == ConnectionState.CLOSED) {
                    replace(d, reason);
                }
            }
        };
    }

    /**
     * Runs the replication handshake when the peer is a replicator (then announces the
     * connection once it succeeded), or announces at once for a plain export. Lock held.
     */
    private void handshake(RemoteBlockDevice d, String reason) {
        Handshake h = handshake;
        if (h == null || !d.peerInfoSupported()) {
            peerInfo = null;
            enterConnected(d, reason);
            return;
        }
        byte[] mine;
        try {
            mine = h.local().encode();
        } catch (RuntimeException e) {
            LOG.error("cannot describe this side for the peer handshake resource={}", resource, e);
            handshakeFailed(d, e);
            return;
        }
        d.exchangePeerInfo(mine).thenApply(PeerInfo::decode).whenComplete((info, err) -> {
            synchronized (this) {
                if (d != current || closed) {
                    return;
                }
                Throwable failure = err;
                if (failure == null) {
                    try {
                        h.check(info);
                    } catch (RuntimeException e) {
                        failure = e;
                    }
                }
                if (failure != null) {
                    handshakeFailed(d, failure);
                    return;
                }
                peerInfo = info;
                if (d.state() == ConnectionState.CONNECTED) {
                    enterConnected(d, reason);
                }
            }
        });
    }

    /**
     * The handshake failed: a refusal by either side (mismatched resource, fenced, busy) drops the
     * device and tries again later; a network failure reconnects. Lock held.
     */
    private void handshakeFailed(RemoteBlockDevice d, Throwable err) {
        Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null
                ? err.getCause() : err;
        ErrorCode code = MirrorgateException.codeOf(cause);
        String reason = MirrorgateException.messageOf(cause);
        String previous = lastError;
        lastError = reason;
        boolean network = code == ErrorCode.ESHUTDOWN || code == ErrorCode.ETIMEDOUT
                || code == ErrorCode.ECONNREFUSED || code == ErrorCode.EIO;
        if (network) {
            LOG.warn("peer handshake interrupted, reconnecting resource={} peer={} reason=\"{}\"", resource,
                    device.name(), reason);
            d.reconnectNow().whenComplete((v, e) -> {
                if (e != null) {
                    LOG.debug("peer reconnect after a failed handshake failed resource={}: {}", resource,
                            MirrorgateException.messageOf(e));
                }
            });
            return;
        }
        MirrorgateException refusal = cause instanceof MirrorgateException m ? m
                : new MirrorgateException(code, reason, cause);
        counts.increment(Count.FAILED_ATTEMPTS);
        long delay = refusalDelay(refusal);
        if (code == ErrorCode.EBUSY) {
            if (!reason.equals(previous)) {
                LOG.warn("peer busy resource={} peer={} reason=\"{}\" retryInMs={}", resource,
                        device.name(), reason, TimeUnit.NANOSECONDS.toMillis(delay));
            }
        } else {
            LOG.error("peer handshake refused resource={} peer={} code={} reason=\"{}\" retryInMs={}",
                    resource, device.name(), code, reason, TimeUnit.NANOSECONDS.toMillis(delay));
        }
        listeners.forEach(l -> l.refused(refusal));
        firstOutcome.complete(null);
        current = null;
        peerInfo = null;
        closeAsync(d);
        schedule(delay);
    }

    private long refusalDelay(Throwable cause) {
        return MirrorgateException.codeOf(cause) == ErrorCode.EBUSY ? backoff.busy().toNanos()
                : backoff.refused().toNanos();
    }

    /**
     * Closes {@code d} off its own event loop (a listener may be running on it), on a thread of
     * its own (not the JDK's common pool, shared with everything, nor this link's scheduler,
     * whose shutdown would drop the close); logs a failure.
     */
    private void closeAsync(RemoteBlockDevice d) {
        DaemonThreads.start("peer-close-" + resource, () -> {
            try {
                d.close();
            } catch (RuntimeException e) {
                LOG.warn("closing a peer connection failed resource={} peer={} error={}", resource,
                        device.name(), MirrorgateException.messageOf(e));
            }
        });
    }

    /** Called with the lock held. */
    private void enterConnected(RemoteBlockDevice d, String reason) {
        if (announced) {
            return;
        }
        announced = true;
        lastError = null;
        counts.increment(Count.CONNECTS);
        LOG.info("peer connected resource={} peer={} size={} generation={} maxRequestSize={} compression={} ({})",
                resource, device.name(), d.size(), d.generation(), d.maxRequestSize(),
                d.compressionNegotiated(), reason);
        listeners.forEach(Listener::connected);
        firstOutcome.complete(null);
    }

    /** The current device closed for good: drop it and connect a new one (lock held). */
    private void replace(RemoteBlockDevice d, String reason) {
        current = null;
        if (closed) {
            return;
        }
        boolean refusal = refusedForGood(d.closeCause());
        long delay = refusal ? backoff.refused().toNanos() : backoff.initial().toNanos();
        LOG.warn("peer connection closed for good, connecting anew resource={} peer={} reason=\"{}\" retryInMs={}",
                resource, device.name(), reason, TimeUnit.NANOSECONDS.toMillis(delay));
        // not on d's own event loop, which this listener may be running on
        closeAsync(d);
        schedule(delay);
    }

    /** Whether a device closed for good because the server refused it (by the error's type, not its text). */
    static boolean refusedForGood(MirrorgateException cause) {
        return cause instanceof RemoteRefusedException;
    }

    /** The remote device now, or null while there is none. */
    RemoteBlockDevice current() {
        return current;
    }

    long lastSize() {
        return lastSize;
    }

    int lastBlockSize() {
        return lastBlockSize;
    }

    /** Why the peer is not connected (the last failure), or null. */
    public String lastError() {
        return lastError;
    }

    /** How many times the peer entered CONNECTED. */
    public long connects() {
        return counts.get(Count.CONNECTS);
    }

    /** Connection attempts that failed (network or refusal). */
    public long failedAttempts() {
        return counts.get(Count.FAILED_ATTEMPTS);
    }

    /** {@code host:port} of the peer. */
    public String address() {
        return hostPort(options);
    }

    /** The export path on the peer. */
    public String exportPath() {
        return options.exportPath();
    }

    @Override
    public BlockDevice device() {
        return device;
    }

    @Override
    public synchronized boolean isConnected() {
        return current != null && announced && current.state() == ConnectionState.CONNECTED;
    }

    @Override
    public long generation() {
        RemoteBlockDevice d = current();
        return d != null ? d.generation() : -1;
    }

    @Override
    public Optional<PeerInfo> peerInfo() {
        PeerInfo info = peerInfo;
        return isConnected() && info != null ? Optional.of(info) : Optional.empty();
    }

    @Override
    public CompletableFuture<Void> setGeneration(long generation) {
        RemoteBlockDevice d = current();
        if (d == null) {
            return CompletableFuture.failedFuture(new MirrorgateException(ErrorCode.ECONNREFUSED,
                    device.name() + ": peer not connected, cannot set its generation"));
        }
        return d.setGeneration(generation);
    }

    @Override
    public AutoCloseable addListener(Listener listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** Stops connecting and closes the remote device. Idempotent. */
    @Override
    public void close() {
        RemoteBlockDevice d;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            d = current;
            current = null;
            announced = false;
        }
        scheduler.shutdownNow();
        if (d != null) {
            d.close();
        }
    }

    private static String hostPort(RemoteDeviceOptions o) {
        return o.host().indexOf(':') >= 0 ? "[" + o.host() + "]:" + o.port() : o.host() + ":" + o.port();
    }
}
