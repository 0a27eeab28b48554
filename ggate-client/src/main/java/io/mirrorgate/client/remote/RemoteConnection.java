package io.mirrorgate.client.remote;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.protocol.Command;
import io.mirrorgate.server.protocol.GgateProtocol;
import io.mirrorgate.server.protocol.HandshakeAuth;
import io.mirrorgate.server.protocol.Hello;
import io.mirrorgate.server.protocol.Reply;
import io.mirrorgate.server.protocol.Welcome;
import io.mirrorgate.server.transport.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.EncoderException;
import io.netty.util.concurrent.ScheduledFuture;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import io.mirrorgate.common.metrics.Counters;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection machinery of a {@link RemoteBlockDevice}: one event loop thread that owns the
 * channel, the requests in flight (by sequence number) and the queue, connects, reconnects
 * with exponential backoff, re-sends what was in flight, and times requests out. Everything
 * but the counters and figures is confined to the loop.
 */
final class RemoteConnection implements ClientChannelHandler.Listener {
    private static final Logger log = LoggerFactory.getLogger(RemoteConnection.class);

    private final RemoteDeviceOptions options;
    private final String peer;
    /** Random per device, kept across reconnects: the server lets a reconnect supersede it. */
    private final long session = new SecureRandom().nextLong() | 1;
    private final EventLoopGroup group;
    private final EventLoop loop;
    private final RemoteConnector connector;
    private final List<StateListener> listeners = new CopyOnWriteArrayList<>();
    private final Counters<RemoteCounter> counters = new Counters<>(RemoteCounter.class);
    private final AtomicLong lastReadNanos = new AtomicLong(System.nanoTime());
    private volatile ConnectionState state = ConnectionState.CONNECTING;
    private volatile String lastError;
    /** What closed the connection for good (with its code), null before. */
    private volatile MirrorgateException closeCause;
    private volatile long size;
    private volatile int blockSize = 512;
    private volatile int maxRequestSize;
    private volatile int features;
    private volatile long generation;
    private volatile long highestEpoch;
    private volatile int inFlightCount;
    private volatile int queuedCount;

    // confined to the loop
    private Channel channel;
    private final Map<Long, PendingRequest> inFlight = new HashMap<>();
    private final ArrayDeque<PendingRequest> queue = new ArrayDeque<>();
    private final List<CompletableFuture<Void>> connectedWaiters = new ArrayList<>();
    private long backoffNanos;
    private ScheduledFuture<?> reconnectTask;
    private boolean attempting;
    private boolean reconnectRequested;
    private boolean silentReplaced;

    RemoteConnection(RemoteDeviceOptions options) {
        this.options = options;
        this.peer = options.host() + ":" + options.port();
        this.group = Transport.newGroup(1, "ggate-remote");
        this.loop = group.next();
        this.maxRequestSize = options.maxRequestSize();
        this.backoffNanos = options.reconnectInitial().toNanos();
        this.connector = new RemoteConnector(options, loop, counters, lastReadNanos, this);
    }

    EventLoop loop() { return loop; }
    long size() { return size; }
    int blockSize() { return blockSize; }
    int maxRequestSize() { return maxRequestSize; }
    int features() { return features; }
    long generation() { return generation; }
    long highestEpoch() { return highestEpoch; }
    ConnectionState state() { return state; }
    MirrorgateException closeCause() { return closeCause; }
    List<StateListener> listeners() { return listeners; }

    RemoteDeviceStats stats() {
        return new RemoteDeviceStats(state, counters.get(RemoteCounter.REQUESTS),
                counters.get(RemoteCounter.FAILURES), inFlightCount, queuedCount,
                counters.get(RemoteCounter.BYTES_IN), counters.get(RemoteCounter.BYTES_OUT),
                counters.get(RemoteCounter.PAYLOAD_IN), counters.get(RemoteCounter.PAYLOAD_OUT),
                counters.get(RemoteCounter.RECONNECTS), counters.get(RemoteCounter.RESENT), lastError);
    }

    /** The first connection: completes when admitted, fails (without retry) otherwise. */
    CompletableFuture<Void> start() {
        CompletableFuture<Void> started = new CompletableFuture<>();
        onLoop(() -> attempt((ch, w) -> {
            onConnected(ch, w, true);
            started.complete(null);
        }, failure -> {
            lastError = failure.getMessage();
            closeCause = failure;
            setState(ConnectionState.CLOSED, failure.getMessage());
            started.completeExceptionally(failure);
        }), started::completeExceptionally);
        return started;
    }

    private void attempt(BiConsumer<Channel, Welcome> connected, Consumer<MirrorgateException> failed) {
        attempting = true;
        Hello hello = new Hello(GgateProtocol.VERSION, options.access(),
                (options.compression() ? GgateProtocol.FEATURE_LZ4 : 0) | GgateProtocol.FEATURE_PEER
                        | GgateProtocol.FEATURE_ALLOCATION | GgateProtocol.FEATURE_SCATTER,
                options.epoch(), session,
                HandshakeAuth.nonce(), options.exportPath(), options.nodeId());
        connector.connect(hello, (ch, w) -> {
            attempting = false;
            connected.accept(ch, w);
        }, failure -> {
            attempting = false;
            failed.accept(failure);
        });
    }

    private void onConnected(Channel ch, Welcome w, boolean first) {
        if (state == ConnectionState.CLOSED) {
            ch.close();
            return;
        }
        if (!first && (w.size() != size || w.blockSize() != blockSize)) {
            log.warn("ggate export changed across a reconnect peer={} export={} size={}->{} blockSize={}->{}",
                    peer, options.exportPath(), size, w.size(), blockSize, w.blockSize());
        }
        size = w.size();
        blockSize = w.blockSize();
        maxRequestSize = Math.min(options.maxRequestSize(), w.maxRequestSize());
        features = w.features();
        generation = w.generation();
        highestEpoch = w.highestEpoch();
        channel = ch;
        lastReadNanos.set(System.nanoTime());
        backoffNanos = options.reconnectInitial().toNanos();
        if (!first) {
            counters.increment(RemoteCounter.RECONNECTS);
        }
        setState(ConnectionState.CONNECTED, first ? "connected" : "reconnected");
        connectedWaiters.forEach(f -> f.complete(null));
        connectedWaiters.clear();
        pump();
        if (!ch.isActive()) {
            onClosed(ch, "connection closed right after the handshake");
        }
    }

    @Override
    public void onClosed(Channel ch, String reason) {
        if (ch != channel) {
            return;
        }
        channel = null;
        if (state == ConnectionState.CLOSED) {
            return;
        }
        if (reconnectRequested) {
            reconnectRequested = false;
            reason = silentReplaced ? "no data from the server for " + options.requestTimeout()
                    : "reconnect requested";
            silentReplaced = false;
            lastError = reason;
        } else {
            lastError = reason;
        }
        if (!options.resendOnReconnect()) {
            setState(ConnectionState.RECONNECTING, reason);
            failUnanswered(reason);
            scheduleReconnect(0);
            return;
        }
        List<PendingRequest> unanswered = new ArrayList<>(inFlight.values());
        unanswered.sort(Comparator.comparingLong((PendingRequest p) -> p.sequence).reversed());
        unanswered.forEach(queue::addFirst);
        inFlight.clear();
        publishCounts();
        setState(ConnectionState.RECONNECTING, reason);
        scheduleReconnect(0);
    }

    /**
     * Without re-sending: fails every request in flight or queued at once ({@code ECONNRESET}),
     * in sequence order, so that a mirror completes them locally and marks them owed.
     */
    private void failUnanswered(String reason) {
        List<PendingRequest> unanswered = new ArrayList<>(inFlight.values());
        unanswered.sort(Comparator.comparingLong((PendingRequest p) -> p.sequence));
        unanswered.addAll(queue);
        inFlight.clear();
        queue.clear();
        publishCounts();
        if (!unanswered.isEmpty()) {
            log.info("ggate connection lost, failing the unanswered requests peer={} export={}"
                    + " requests={} reason=\"{}\"", peer, options.exportPath(), unanswered.size(), reason);
        }
        for (PendingRequest p : unanswered) {
            fail(p, lost(reason));
        }
    }

    private MirrorgateException lost(String reason) {
        return new MirrorgateException(ErrorCode.ECONNRESET, options.uri() + ": connection lost ("
                + reason + "), the request was not answered and is not sent again");
    }

    private void scheduleReconnect(long delayNanos) {
        reconnectTask = loop.schedule(this::reconnect, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void reconnect() {
        reconnectTask = null;
        if (state != ConnectionState.RECONNECTING || attempting) {
            return;
        }
        attempt((ch, w) -> onConnected(ch, w, false), failure -> {
            boolean sameAsBefore = failure.getMessage().equals(lastError);
            lastError = failure.getMessage();
            if (failure instanceof RemoteRefusedException
                    && (failure.code() == ErrorCode.ESTALE || failure.code() == ErrorCode.EACCES)) {
                log.error("ggate reconnect refused for good peer={} export={} reason=\"{}\"",
                        peer, options.exportPath(), failure.getMessage());
                shutdown(failure);
                return;
            }
            long delay = backoffNanos;
            backoffNanos = Math.min(backoffNanos * 2, options.reconnectMax().toNanos());
            // once per reason: a peer that stays down is retried several times a second
            if (sameAsBefore) {
                log.debug("ggate reconnect failed again peer={} export={} retryInMs={} reason=\"{}\"",
                        peer, options.exportPath(), TimeUnit.NANOSECONDS.toMillis(delay),
                        failure.getMessage());
            } else {
                log.info("ggate reconnect failed peer={} export={} retryInMs={} reason=\"{}\""
                        + " (further failures for the same reason are logged at debug)", peer,
                        options.exportPath(), TimeUnit.NANOSECONDS.toMillis(delay), failure.getMessage());
            }
            scheduleReconnect(delay);
        });
    }

    CompletableFuture<Void> reconnectNow() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        onLoop(() -> {
            if (state == ConnectionState.CLOSED) {
                done.completeExceptionally(new MirrorgateException(ErrorCode.ESHUTDOWN,
                        options.uri() + ": closed"));
                return;
            }
            connectedWaiters.add(done);
            backoffNanos = options.reconnectInitial().toNanos();
            if (channel != null) {
                reconnectRequested = true;
                channel.close();
            } else if (reconnectTask != null) {
                reconnectTask.cancel(false);
                reconnect();
            }
        }, done::completeExceptionally);
        return done;
    }

    /** Queues a request; it is sent when a slot and a connection are free. */
    CompletableFuture<Object> submit(PendingRequest p) {
        onLoop(() -> {
            if (state == ConnectionState.CLOSED) {
                fail(p, new MirrorgateException(ErrorCode.ESHUTDOWN,
                        options.uri() + ": closed"));
                return;
            }
            if (!options.resendOnReconnect() && state == ConnectionState.RECONNECTING) {
                fail(p, lost(lastError != null ? lastError : "reconnecting"));
                return;
            }
            p.timeout = loop.schedule(() -> timeout(p),
                    options.requestTimeout().toNanos(), TimeUnit.NANOSECONDS);
            queue.add(p);
            pump();
        }, failure -> fail(p, new MirrorgateException(ErrorCode.ESHUTDOWN,
                options.uri() + ": closed", failure)));
        return p.future;
    }

    private void pump() {
        Channel ch = channel;
        if (ch != null && ch.isActive()) {
            boolean wrote = false;
            while (inFlight.size() < options.queueDepth() && !queue.isEmpty()) {
                PendingRequest p = queue.poll();
                inFlight.put(p.sequence, p);
                if (p.transmissions > 0) {
                    counters.increment(RemoteCounter.RESENT);
                }
                if (p.data != null) {
                    counters.add(RemoteCounter.PAYLOAD_OUT, p.data.readableBytes());
                }
                ch.write(p.toWire()).addListener(f -> {
                    if (!f.isSuccess() && f.cause() instanceof EncoderException
                            && inFlight.remove(p.sequence) == p) {
                        fail(p, new MirrorgateException(ErrorCode.EINVAL,
                                "cannot encode " + p + ": " + f.cause().getMessage(), f.cause()));
                    }
                });
                wrote = true;
            }
            if (wrote) {
                ch.flush();
            }
        }
        publishCounts();
    }

    @Override
    public void onReply(Channel ch, Reply reply) {
        PendingRequest p = ch == channel ? inFlight.remove(reply.sequence()) : null;
        if (p == null) {
            log.debug("ggate reply without a waiting request (timed out or stale) peer={} seq={}",
                    peer, reply.sequence());
            reply.release();
            return;
        }
        if (!reply.ok()) {
            reply.release();
            fail(p, new MirrorgateException(reply.error(), options.uri()
                    + " " + p + ": " + reply.reason()));
        } else if (p.command == Command.READ || p.command == Command.PEER_INFO
                || p.command == Command.BLOCK_STATUS) {
            ByteBuf data = reply.payload() != null ? reply.payload() : Unpooled.EMPTY_BUFFER;
            boolean lengthOk = p.command != Command.READ || data.readableBytes() == p.length;
            if (!lengthOk || !reply.crcMatches()) {
                reply.release();
                fail(p, new MirrorgateException(ErrorCode.EBADMSG, options.uri()
                        + " " + p + ": read payload of " + data.readableBytes()
                        + " bytes fails its CRC32C or length check"));
            } else {
                counters.add(RemoteCounter.PAYLOAD_IN, data.readableBytes());
                succeed(p, data);
            }
        } else {
            reply.release();
            if (p.command == Command.SET_GENERATION) {
                generation = p.data.getLong(p.data.readerIndex());
            }
            succeed(p, null);
        }
        pump();
    }

    /**
     * Fails a request that got no reply in time. When the connection has not received a single
     * byte for as long, the link is taken for dead (a half-open connection never reports a
     * loss by itself) and replaced; the other requests in flight are sent again.
     */
    private void timeout(PendingRequest p) {
        if (inFlight.remove(p.sequence) == p || queue.remove(p)) {
            fail(p, new MirrorgateException(ErrorCode.ETIMEDOUT, options.uri()
                    + " " + p + ": no reply within "
                    + options.requestTimeout() + " (state " + state + ")"));
            long silentNanos = System.nanoTime() - lastReadNanos.get();
            if (channel != null && silentNanos >= options.requestTimeout().toNanos()) {
                log.warn("ggate connection silent, replacing it peer={} export={} silentMs={}",
                        peer, options.exportPath(), TimeUnit.NANOSECONDS.toMillis(silentNanos));
                reconnectRequested = true;
                silentReplaced = true;
                channel.close();
            }
            pump();
        }
    }

    private void succeed(PendingRequest p, ByteBuf value) {
        p.finish();
        counters.increment(RemoteCounter.REQUESTS);
        if (!p.future.complete(value) && value != null) {
            value.release();
        }
    }

    private void fail(PendingRequest p, MirrorgateException failure) {
        p.finish();
        counters.increment(RemoteCounter.REQUESTS);
        counters.increment(RemoteCounter.FAILURES);
        lastError = failure.getMessage();
        p.future.completeExceptionally(failure);
    }

    /** Permanent end: fails everything, closes the channel; the event loop stays until close(). */
    private void shutdown(MirrorgateException reason) {
        if (reconnectTask != null) {
            reconnectTask.cancel(false);
            reconnectTask = null;
        }
        closeCause = reason;
        setState(ConnectionState.CLOSED, reason.getMessage());
        List<PendingRequest> all = new ArrayList<>(inFlight.values());
        all.addAll(queue);
        inFlight.clear();
        queue.clear();
        all.forEach(p -> fail(p, reason));
        connectedWaiters.forEach(f -> f.completeExceptionally(reason));
        connectedWaiters.clear();
        Channel ch = channel;
        channel = null;
        if (ch != null) {
            ch.close();
        }
        publishCounts();
    }

    void close() {
        MirrorgateException closed = new MirrorgateException(ErrorCode.ESHUTDOWN,
                options.uri() + ": closed");
        if (loop.inEventLoop()) {
            shutdown(closed);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            return;
        }
        try {
            loop.submit(() -> shutdown(closed)).awaitUninterruptibly(5, TimeUnit.SECONDS);
        } catch (RejectedExecutionException alreadyStopped) {
            log.debug("ggate remote event loop already stopped peer={}", peer);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    private void setState(ConnectionState to, String reason) {
        ConnectionState from = state;
        if (from == to) {
            return;
        }
        state = to;
        if (from == ConnectionState.CONNECTING && to == ConnectionState.CLOSED) {
            // a first connection that failed: whoever retries it (a peer link) reports it
            log.debug("ggate remote state peer={} export={} from={} to={} reason=\"{}\"",
                peer, options.exportPath(), from, to, reason);
        } else {
            log.info("ggate remote state peer={} export={} from={} to={} reason=\"{}\"",
                peer, options.exportPath(), from, to, reason);
        }
        for (StateListener l : listeners) {
            try {
                l.stateChanged(from, to, reason);
            } catch (RuntimeException e) {
                log.warn("ggate state listener failed peer={} listener={}", peer, l, e);
            }
        }
    }

    private void publishCounts() {
        inFlightCount = inFlight.size();
        queuedCount = queue.size();
    }

    private void onLoop(Runnable task, Consumer<Throwable> rejected) {
        if (loop.inEventLoop()) {
            task.run();
            return;
        }
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            rejected.accept(e);
        }
    }
}
