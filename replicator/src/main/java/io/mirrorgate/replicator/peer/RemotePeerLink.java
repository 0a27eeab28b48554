package io.mirrorgate.replicator.peer;

import io.mirrorgate.client.remote.ConnectionState;
import io.mirrorgate.client.remote.RemoteBlockDevice;
import io.mirrorgate.client.remote.RemoteDeviceOptions;
import io.mirrorgate.client.remote.RemoteRefusedException;
import io.mirrorgate.client.remote.StateListener;
import io.mirrorgate.replicator.config.ResourceConfig;
import io.mirrorgate.replicator.mirror.PeerLink;
import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.server.error.ErrorCode;
import io.mirrorgate.server.error.MirrorgateException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * reconnects by itself (requests in flight are re-sent); when it closes for good (for example
 * fenced on a reconnect), a new one is connected.
 *
 * <p>{@link #device()} is one stable device for the mirror's whole life (see {@link
 * PeerDevice}). Listeners hear {@code connected()} on each entry into CONNECTED (the first
 * connection included) and {@code disconnected()} on each exit from it; they are called on the
 * remote device's event loop or the link's own thread, and must not block.
 */
public final class RemotePeerLink implements PeerLink, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RemotePeerLink.class);

    /**
     * Delays between connection attempts.
     *
     * @param initial the first retry after a network failure (doubled per failure)
     * @param max the longest delay after network failures
     * @param refused the delay after a refused handshake
     */
    public record Backoff(Duration initial, Duration max, Duration refused) {
        /** 100 ms doubling to 5 s after network failures, 30 s after a refusal. */
        public static Backoff defaults() {
            return new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), Duration.ofSeconds(30));
        }
    }

    private final String resource;
    private final RemoteDeviceOptions options;
    private final Backoff backoff;
    private final PeerDevice device;
    private final ScheduledExecutorService scheduler;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong connects = new AtomicLong();
    private final AtomicLong failedAttempts = new AtomicLong();

    private volatile RemoteBlockDevice current;
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
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "peer-" + resource);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * The remote device options of a configured resource: its {@code remote} and {@code
     * remote_path}, the node name as node id, epoch 0, its compression and timeout.
     */
    public static RemoteDeviceOptions options(ResourceConfig config, byte[] key) {
        Duration timeout = config.timeout();
        return RemoteDeviceOptions.builder(config.remote().host(), config.remote().port(),
                        config.remotePath(), key)
                .nodeId(config.node())
                .epoch(0)
                .compression(config.compression())
                .requestTimeout(timeout)
                .connectTimeout(timeout.compareTo(Duration.ofSeconds(10)) < 0 ? timeout : Duration.ofSeconds(10))
                .reconnectBackoff(Duration.ofMillis(100), Duration.ofSeconds(5))
                .build();
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
            failedAttempts.incrementAndGet();
            if (refused) {
                delay = backoff.refused().toNanos();
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
                enterConnected(d, "connected");
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
                    enterConnected(d, reason);
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

    /** Called with the lock held. */
    private void enterConnected(RemoteBlockDevice d, String reason) {
        if (announced) {
            return;
        }
        announced = true;
        lastError = null;
        connects.incrementAndGet();
        LOG.info("peer connected resource={} peer={} size={} generation={} maxRequestSize={} compression={} ({})",
                resource, device.name(), d.size(), d.generation(), d.maxRequestSize(),
                d.compressionNegotiated(), reason);
        listeners.forEach(Listener::connected);
    }

    /** The current device closed for good: drop it and connect a new one (lock held). */
    private void replace(RemoteBlockDevice d, String reason) {
        current = null;
        if (closed) {
            return;
        }
        boolean refusal = reason != null && (reason.contains("fenced") || reason.contains("refused"));
        long delay = refusal ? backoff.refused().toNanos() : backoff.initial().toNanos();
        LOG.warn("peer connection closed for good, connecting anew resource={} peer={} reason=\"{}\" retryInMs={}",
                resource, device.name(), reason, TimeUnit.NANOSECONDS.toMillis(delay));
        // not on d's own event loop, which this listener may be running on
        CompletableFuture.runAsync(d::close);
        schedule(delay);
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
        return connects.get();
    }

    /** Connection attempts that failed (network or refusal). */
    public long failedAttempts() {
        return failedAttempts.get();
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
