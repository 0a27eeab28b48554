package io.mirrorgate.server.guard;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * The requests of one connection between decoding and reply, the same for both protocols. One
 * socket read may hold thousands of requests: they wait here (bounded by that read) and start in
 * order while the connection has fewer than {@code maxInFlight} requests and fewer than {@link
 * ConnectionLimits#connectionBytes()} bytes in flight or in unwritten replies, and the server's
 * {@link ByteBudget} lets it. A reply's bytes count until it has been written, so that replies a
 * client does not read hold its limits. The connection is read only while nothing waits, nothing
 * is at a limit and the client reads its replies (the channel is writable). Tells {@link
 * ConnectionTimeouts} what it holds (a connection with requests is not idle). Confined to the
 * channel's event loop.
 *
 * @param <R> the protocol's decoded request; {@code start} takes ownership of it
 */
public final class RequestGate<R> {
    private final Channel channel;
    private final ConnectionLimits limits;
    private final int maxInFlight;
    private final Consumer<R> start;
    private final Consumer<R> discard;
    private final ArrayDeque<R> waiting = new ArrayDeque<>();
    private int inFlight;
    private long bytes;
    private boolean pumping;
    private boolean stopped;

    /**
     * @param start starts a request (it calls {@link #started} if the request reaches the device)
     * @param discard releases a request that will never start
     */
    public RequestGate(Channel channel, ConnectionLimits limits, int maxInFlight, Consumer<R> start,
            Consumer<R> discard) {
        this.channel = channel;
        this.limits = limits;
        this.maxInFlight = maxInFlight;
        this.start = start;
        this.discard = discard;
    }

    /** A decoded request: starts now, or waits for the limits. */
    public void offer(R request) {
        waiting.add(request);
        ConnectionTimeouts.outstanding(channel, 1);
        pump();
    }

    /** Starts what waits while the limits allow; then decides whether to read. */
    public void pump() {
        if (pumping) {
            return; // a request that completed at once, inside the loop below
        }
        pumping = true;
        try {
            while (!waiting.isEmpty() && !busy()) {
                R request = waiting.poll();
                try {
                    start.accept(request);
                } finally {
                    ConnectionTimeouts.outstanding(channel, -1); // now in flight, if at all
                }
            }
        } finally {
            pumping = false;
        }
        updateReading();
    }

    /** A started request of {@code requestBytes} went to the device. */
    public void started(long requestBytes) {
        inFlight++;
        bytes += requestBytes;
        limits.budget().take(requestBytes);
        ConnectionTimeouts.outstanding(channel, 1);
    }

    /**
     * Runs {@code reply} (which writes the request's one reply and calls {@link #replied}) on the
     * channel's event loop: at once when called there (the device answered at once), else as a
     * task. False when the loop is gone (the server stopped): then {@code result} is released and
     * the request's bytes go back to the server's budget, so nothing leaks; the caller logs.
     */
    public boolean replyOnLoop(long requestBytes, Object result, Runnable reply) {
        EventLoop loop = channel.eventLoop();
        if (loop.inEventLoop()) {
            reply.run();
            return true;
        }
        try {
            loop.execute(reply);
            return true;
        } catch (RejectedExecutionException e) {
            ReferenceCountUtil.release(result);
            limits.budget().give(requestBytes);
            return false;
        }
    }

    /**
     * A started request replied with {@code written} (null: no reply was written); its bytes
     * count until the write is done.
     */
    public void replied(long requestBytes, ChannelFuture written) {
        inFlight--;
        limits.budget().requestDone();
        ConnectionTimeouts.outstanding(channel, -1);
        if (written != null) {
            written.addListener(f -> bytesDone(requestBytes));
        } else {
            bytesDone(requestBytes);
        }
    }

    private void bytesDone(long requestBytes) {
        bytes -= requestBytes;
        limits.budget().bytesDone(requestBytes);
        if (channel.isActive()) {
            pump();
        }
    }

    /** Releases what waits: it will never start (the connection drains or is closed). */
    public void discardWaiting() {
        R request;
        while ((request = waiting.poll()) != null) {
            discard.accept(request);
            ConnectionTimeouts.outstanding(channel, -1);
        }
    }

    /** No more reading decisions: the protocol handler stopped reading for good (draining, closed). */
    public void stopReading() {
        stopped = true;
        channel.config().setAutoRead(false);
    }

    public int inFlight() {
        return inFlight;
    }

    /** Whether no request is waiting or in flight. */
    public boolean isEmpty() {
        return inFlight == 0 && waiting.isEmpty();
    }

    /**
     * Whether no further request may start now: the connection's requests, or its bytes in flight
     * or in unwritten replies, or the server's, are at their limits.
     */
    private boolean busy() {
        return inFlight >= maxInFlight || bytes >= limits.connectionBytes()
                || !limits.budget().mayStart(bytes);
    }

    private void updateReading() {
        if (stopped || !channel.isActive()) {
            return;
        }
        // a client that does not read its replies is not read either (its refusals cost no budget)
        boolean read = !busy() && waiting.isEmpty() && channel.isWritable();
        if (channel.config().isAutoRead() != read) {
            channel.config().setAutoRead(read);
        }
        if (!limits.budget().mayStart(bytes)) {
            limits.budget().whenFree(channel, bytes);
        }
    }
}
