package io.mirrorgate.server.ggate;

import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.Export;
import io.mirrorgate.server.export.ReplicationEndpoint;
import io.mirrorgate.server.guard.ConnectionLimits;
import io.mirrorgate.server.guard.Drain;
import io.mirrorgate.server.guard.LogText;
import io.mirrorgate.server.guard.RequestGate;
import io.mirrorgate.server.protocol.Command;
import io.mirrorgate.server.protocol.ExtentList;
import io.mirrorgate.server.protocol.GgateProtocol;
import io.mirrorgate.server.protocol.Reply;
import io.mirrorgate.server.protocol.Request;
import io.mirrorgate.server.protocol.ScatterPayload;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the requests of one admitted connection: checks access, fencing, CRC and limits,
 * hands the request to the export's {@link BlockDevice} (whose futures complete off the event
 * loop), and writes exactly one reply per request when its future completes, in completion
 * order. Requests wait and reading pauses at the limits ({@link RequestGate}). Draining (graceful
 * shutdown, DISCONNECT) stops reading, lets the requests in flight finish and reply, then
 * closes. Runs on the channel's event loop only.
 */
final class RequestDispatcher {
    private static final Logger log = LoggerFactory.getLogger(RequestDispatcher.class);
    /** How long a drained connection waits for the client to close before closing itself. */
    static final int LINGER_SECONDS = 2;

    private final ChannelHandlerContext ctx;
    private final Export export;
    private final BlockDevice device;
    private final Access access;
    private final long epoch;
    private final ExportStateStore store;
    private final ReplicationEndpoint.Session session;
    private final int maxRequestSize;
    private final ConnectionLimits limits;
    private final String peer;
    /** The export's name as the client sent it, escaped for logs. */
    private final String exportLabel;
    /** Requests between decoding and reply, and the limits ({@link RequestGate}). */
    private final RequestGate<Request> gate;
    private boolean draining;
    private boolean discarding;
    private boolean channelClosed;
    private final CompletableFuture<Void> idle = new CompletableFuture<>();

    RequestDispatcher(ChannelHandlerContext ctx, Export export, Access access, long epoch,
            ExportStateStore store, ReplicationEndpoint.Session session, int maxRequestSize,
            int maxInFlight, ConnectionLimits limits, String peer) {
        this.limits = limits;
        this.session = session;
        this.ctx = ctx;
        this.export = export;
        this.device = export.device();
        this.access = access;
        this.epoch = epoch;
        this.store = store;
        this.maxRequestSize = maxRequestSize;
        this.peer = peer;
        this.exportLabel = LogText.escape(export.name());
        this.gate = new RequestGate<>(ctx.channel(), limits, maxInFlight, this::start, Request::release);
    }

    int inFlight() {
        return gate.inFlight();
    }

    /** Completes once the channel is closed and every request of it has finished. */
    CompletableFuture<Void> idle() {
        return idle;
    }

    /** Closes the channel (thread-safe); requests in flight still finish. */
    void closeChannel() {
        ctx.channel().close();
    }

    /** The channel is closed: no reply can be sent any more. */
    void channelClosed() {
        channelClosed = true;
        gate.discardWaiting();
        gate.stopReading();
        checkIdle();
    }

    private void checkIdle() {
        if (channelClosed && gate.inFlight() == 0) {
            idle.complete(null);
        }
    }

    /**
     * Serves {@code request}, whose payload this method now owns. One socket read may hold
     * hundreds of requests: they wait here (bounded by that read) until the connection's and
     * the server's limits let them start, in order.
     */
    void handle(Request request) {
        if (discarding || draining) {
            log.debug("ggate request after shutdown discarded peer={} seq={}", peer, request.sequence());
            request.release();
            return;
        }
        gate.offer(request);
    }

    private void start(Request request) {
        long bytes = requestBytes(request);
        gate.started(bytes);
        long sequence = request.sequence();
        CompletableFuture<Reply> reply;
        try {
            reply = dispatch(request);
        } catch (RuntimeException e) {
            reply = CompletableFuture.failedFuture(e);
        }
        reply.whenComplete((ok, failure) -> {
            Reply out = failure == null ? ok : Reply.error(sequence,
                    MirrorgateException.codeOf(failure), MirrorgateException.messageOf(failure));
            if (failure != null) {
                log.debug("ggate request failed peer={} export={} seq={} error={} reason=\"{}\"",
                        peer, exportLabel, sequence, out.error(), out.reason());
            }
            if (!gate.replyOnLoop(bytes, out, () -> complete(out, bytes))) {
                log.debug("event loop gone, dropping reply peer={} seq={}", peer, out.sequence());
            }
        });
    }

    /** What a request holds while in flight: its READ length or its payload. */
    private long requestBytes(Request r) {
        // a READ longer than the maximum is refused: it holds no more than the maximum
        return r.command() == Command.READ ? Math.min(Math.max(0, r.length()), maxRequestSize)
                : r.payload() != null ? r.payload().readableBytes() : 0;
    }

    private CompletableFuture<Reply> dispatch(Request r) {
        long seq = r.sequence();
        Command command = r.command();
        String refusal = null;
        ErrorCode code = null;
        if (command == null) {
            code = ErrorCode.EINVAL;
            refusal = "command: " + r.commandCode() + " (expected: 1 to 10)";
        } else if (command == Command.READ && !access.canRead()) {
            code = ErrorCode.EPERM;
            refusal = "export " + export.name() + " was opened write-only: reads are not permitted";
        } else if (command.mutating() && !access.canWrite()) {
            code = ErrorCode.EROFS;
            refusal = "export " + export.name() + " was opened read-only: "
                    + command + " is not permitted";
        } else if (command.mutating() && ExportStateStore.fencedReason(epoch, highestEpoch()) != null) {
            code = ErrorCode.ESTALE;
            refusal = ExportStateStore.fencedReason(epoch, highestEpoch());
        } else if (command == Command.PEER_INFO && export.replication() == null) {
            code = ErrorCode.ENOTSUP;
            refusal = "export " + export.name() + " is a plain export, not a replicator's replica:"
                    + " no replication handshake";
        } else if (command.hasPayload() && !r.crcMatches()) {
            code = ErrorCode.EBADMSG;
            refusal = String.format("payload CRC32C mismatch at offset %d (expected: 0x%08x):"
                    + " nothing was written", r.offset(), r.crc());
        } else if ((command == Command.READ || command == Command.WRITE)
                && r.length() > maxRequestSize) {
            code = ErrorCode.EMSGSIZE;
            refusal = "length: " + r.length() + " (expected: <= " + maxRequestSize + ")";
        }
        if (code != null) {
            r.release();
            return CompletableFuture.completedFuture(Reply.error(seq, code, refusal));
        }
        switch (command) {
            case READ:
                return BlockDevice.readPreferringNow(device, r.offset(), (int) r.length())
                        .thenApply(buf -> Reply.ok(seq, buf));
            case WRITE:
                return write(r);
            case WRITE_SCATTERED:
                return writeScattered(r);
            case FLUSH:
                return device.flush().thenApply(v -> Reply.ok(seq));
            case TRIM:
                return device.trim(r.offset(), r.length()).thenApply(v -> Reply.ok(seq));
            case WRITE_ZEROES:
                return device.writeZeroes(r.offset(), r.length(), r.fua(), zeroFlags(r))
                        .thenApply(v -> Reply.ok(seq));
            case BLOCK_STATUS:
                return device.extents(r.offset(), r.length()).thenApply(extents -> Reply.ok(seq,
                        ExtentList.encode(extents, maxRequestSize, ctx.alloc())));
            case SET_GENERATION:
                return setGeneration(r);
            case PEER_INFO:
                return exchange(r);
            case DISCONNECT:
                drain("client asked to disconnect");
                return CompletableFuture.completedFuture(Reply.ok(seq));
            default:
                throw new IllegalStateException("unhandled command " + command);
        }
    }

    private CompletableFuture<Reply> write(Request r) {
        return writing(r, data -> BlockDevice.writePreferringNow(device, r.offset(), data, r.fua()));
    }

    /** The ranges of the payload's table, each written from its data ({@link ScatterPayload}). */
    private CompletableFuture<Reply> writeScattered(Request r) {
        return writing(r, data -> device.writeScattered(ScatterPayload.decode(data), data, r.fua()));
    }

    /** Runs {@code io} on the request's payload, released once it completed or failed to start. */
    private CompletableFuture<Reply> writing(Request r, Function<ByteBuf, CompletableFuture<Void>> io) {
        ByteBuf data = r.payload();
        CompletableFuture<Void> written;
        try {
            written = io.apply(data);
        } catch (RuntimeException e) {
            data.release();
            throw e;
        }
        return written.whenComplete((v, e) -> data.release()).thenApply(v -> Reply.ok(r.sequence()));
    }

    private CompletableFuture<Reply> setGeneration(Request r) {
        ByteBuf payload = r.payload();
        int length = payload.readableBytes();
        long generation = length == 8 ? payload.getLong(payload.readerIndex()) : 0;
        r.release();
        if (length != 8) {
            return CompletableFuture.completedFuture(Reply.error(r.sequence(), ErrorCode.EINVAL,
                    "generation payload: " + length + " bytes (expected: 8)"));
        }
        log.info("ggate export generation set peer={} export={} generation={}",
                peer, exportLabel, Long.toUnsignedString(generation));
        if (export.replication() != null) {
            return export.replication().setGeneration(session, generation)
                    .thenApply(v -> Reply.ok(r.sequence()));
        }
        return store.setGeneration(device.identity(), epoch, generation).thenApply(s -> Reply.ok(r.sequence()));
    }

    /** The replication handshake: the payload goes to the endpoint, its answer back as the reply's. */
    private CompletableFuture<Reply> exchange(Request r) {
        ByteBuf payload = r.payload();
        byte[] request = new byte[payload.readableBytes()];
        payload.getBytes(payload.readerIndex(), request);
        r.release();
        return export.replication().exchange(session, request)
                .thenApply(answer -> Reply.ok(r.sequence(), Unpooled.wrappedBuffer(answer)));
    }

    /** The WRITE_ZEROES frame flags as {@link BlockDevice#writeZeroes(long, long, boolean, int)} takes them. */
    private static int zeroFlags(Request r) {
        return ((r.flags() & GgateProtocol.FLAG_NO_HOLE) != 0 ? BlockDevice.ZERO_NO_HOLE : 0)
                | ((r.flags() & GgateProtocol.FLAG_FAST_ZERO) != 0 ? BlockDevice.ZERO_FAST : 0);
    }

    /** The highest epoch of the export: the replication endpoint's, or the state store's. */
    private long highestEpoch() {
        return export.replication() != null ? export.replication().highestEpoch()
                : store.highestEpoch(device.identity());
    }

    /**
     * A request replied: it no longer counts against the requests in flight, but its bytes (a
     * READ's data) are held until the reply has been written, so that replies a client does not
     * read count against the connection's and the server's limits.
     */
    private void complete(Reply reply, long bytes) {
        ChannelFuture written = null;
        if (ctx.channel().isActive()) {
            written = ctx.writeAndFlush(reply);
        } else {
            reply.release();
        }
        gate.replied(bytes, written);
        gate.pump();
        if (draining && gate.inFlight() == 0) {
            closeAfter(written);
        }
        checkIdle();
    }

    /** Stops reading; the channel closes once every request in flight has replied. */
    void drain(String why) {
        if (draining) {
            return;
        }
        draining = true;
        gate.discardWaiting(); // never started: no reply, the client sends them again
        gate.stopReading();
        log.info("ggate connection draining peer={} export={} inFlight={} reason=\"{}\"",
                peer, exportLabel, gate.inFlight(), why);
        if (gate.inFlight() == 0) {
            closeAfter(null);
        }
    }

    /**
     * Ends a drained connection without losing replies ({@link Drain#halfClose}): once every
     * reply has been written the output is shut down (FIN), and what the client still sends is
     * read and discarded (no reply: it was never served, the client sends it again on its next
     * connection) until it closes or {@link #LINGER_SECONDS} pass.
     */
    private void closeAfter(ChannelFuture lastWrite) {
        Drain.halfClose(ctx.channel(), limits.drainTimeout(), Duration.ofSeconds(LINGER_SECONDS), () -> {
            discarding = true;
            ctx.channel().config().setAutoRead(true);
        });
    }

    /** Starts what waits once the limits allow (writability changed, the server budget freed). */
    void resume() {
        if (!draining && !channelClosed) {
            gate.pump();
        }
    }
}
