package io.mirrorgate.client.remote;

import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.server.device.DeviceRequests;
import io.mirrorgate.server.device.Extent;
import io.mirrorgate.server.device.Scatter;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.protocol.Command;
import io.mirrorgate.server.protocol.ExtentList;
import io.mirrorgate.server.protocol.GgateProtocol;
import io.mirrorgate.server.protocol.Payloads;
import io.mirrorgate.server.protocol.ScatterPayload;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A ggate export used as a {@link BlockDevice}: pipelined requests (up to the queue depth in
 * flight, the rest queued), replies matched by sequence number in any order, CRC32C checked on
 * reads, LZ4 when negotiated, a timeout per request (ETIMEDOUT). A lost connection is
 * re-established with exponential backoff and every request not yet answered is sent again
 * (ggate requests are idempotent); a refusal by the server (bad key, fenced, no access) is
 * never retried blindly. The connection machinery lives in {@link RemoteConnection}; this
 * class validates requests and turns them into {@link PendingRequest}s.
 *
 * <p>Allocation ({@link #extents}) and the write-zeroes flags go to a server that granted
 * {@link GgateProtocol#FEATURE_ALLOCATION}; with an older server the device answers "all data",
 * keeps NO_HOLE ranges allocated by writing zeroes, and refuses FAST zeroing.
 *
 * <p>Scattered writes ({@link #writeScattered}: many small ranges, as a resync of scattered
 * blocks) go as one request to a server that granted {@link GgateProtocol#FEATURE_SCATTER}, and
 * as one write per range to an older one.
 *
 * <p>Futures complete on the device's event loop: callers must not block in callbacks.
 */
public final class RemoteBlockDevice implements BlockDevice {
    private static final long MAX_CHUNK = 1L << 30;

    private final RemoteDeviceOptions options;
    private final RemoteConnection connection;
    private final AtomicLong sequences = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();

    private RemoteBlockDevice(RemoteDeviceOptions options) {
        this.options = options;
        this.connection = new RemoteConnection(options);
    }

    /**
     * Connects and authenticates, blocking until the export is attached. A first connection
     * that fails (network, bad key, refused export, fenced) throws at once, with the server's
     * reason, and is not retried.
     */
    public static RemoteBlockDevice connect(RemoteDeviceOptions options) {
        try {
            return connectAsync(options).get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof MirrorgateException m) {
                throw m;
            }
            throw new MirrorgateException(ErrorCode.EIO, "cannot attach " + options.exportPath()
                    + " on " + options.host() + ":" + options.port() + ": "
                    + MirrorgateException.messageOf(cause), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MirrorgateException(ErrorCode.EIO, "interrupted while attaching "
                    + options.exportPath() + " on " + options.host() + ":" + options.port(), e);
        }
    }

    /** As {@link #connect}, without blocking. */
    public static CompletableFuture<RemoteBlockDevice> connectAsync(RemoteDeviceOptions options) {
        RemoteBlockDevice device = new RemoteBlockDevice(options);
        return device.connection.start().handle((v, failure) -> {
            if (failure != null) {
                device.close();
                throw failure instanceof RuntimeException r ? r
                        : new MirrorgateException(ErrorCode.EIO, MirrorgateException.messageOf(failure), failure);
            }
            return device;
        });
    }

    public RemoteDeviceOptions options() {
        return options;
    }

    @Override
    public String name() {
        return options.uri();
    }

    @Override
    public long size() {
        return connection.size();
    }

    @Override
    public int blockSize() {
        return connection.blockSize();
    }

    @Override
    public boolean isReadOnly() {
        return !options.access().canWrite();
    }

    /** The largest read or write the connection accepts (the smaller of both sides' limits). */
    public int maxRequestSize() {
        return connection.maxRequestSize();
    }

    /**
     * The single event loop that runs this device's connection and completes its futures. A
     * server that forwards requests here (an attachment's NBD endpoint) may run its channels on
     * it: a request is then sent, and its reply completed, without a hand-off between threads.
     * It belongs to the device and stops when the device closes.
     */
    public EventLoop eventLoop() {
        return connection.loop();
    }

    /** Whether LZ4 compression was negotiated. */
    public boolean compressionNegotiated() {
        return (connection.features() & GgateProtocol.FEATURE_LZ4) != 0;
    }

    /** The export's generation as the server last reported it (or as last set through here). */
    public long generation() {
        return connection.generation();
    }

    /** The highest epoch the server had seen for the export when this client was admitted. */
    public long highestEpoch() {
        return connection.highestEpoch();
    }

    public ConnectionState state() {
        return connection.state();
    }

    /**
     * Why the device is {@link ConnectionState#CLOSED} for good, with its error code: a {@link
     * RemoteRefusedException} when the server refused a reconnect (fenced, bad key), {@code
     * ESHUTDOWN} when it was closed; null while it is not closed.
     */
    public MirrorgateException closeCause() {
        return connection.closeCause();
    }

    public RemoteDeviceStats stats() {
        return connection.stats();
    }

    public void addStateListener(StateListener listener) {
        connection.listeners().add(listener);
    }

    public void removeStateListener(StateListener listener) {
        connection.listeners().remove(listener);
    }

    /**
     * Drops the current connection (if any) and connects again at once, resetting the backoff;
     * requests in flight are sent again. Completes when connected, fails if the device closes.
     */
    public CompletableFuture<Void> reconnectNow() {
        return connection.reconnectNow();
    }

    /** Sets the export's generation on the server (needs write access and a current epoch). */
    public CompletableFuture<Void> setGeneration(long generation) {
        MirrorgateException refused = refuse(0, 0, true);
        if (refused != null) {
            return CompletableFuture.failedFuture(refused);
        }
        ByteBuf payload = Unpooled.buffer(8).writeLong(generation);
        return connection.submit(new PendingRequest(sequences.incrementAndGet(),
                Command.SET_GENERATION, 0, 0, 8, Payloads.crc32c(payload), payload, true))
                .thenApply(o -> null);
    }

    /** Whether the server is a replicator's replica that answers {@link #exchangePeerInfo}. */
    public boolean peerInfoSupported() {
        return (connection.features() & GgateProtocol.FEATURE_PEER) != 0;
    }

    /**
     * The replication handshake between two replicators: sends this side's peer information
     * and completes with the server's. Fails with {@code ENOTSUP} when the server is a plain
     * export ({@link #peerInfoSupported()} is false).
     */
    public CompletableFuture<byte[]> exchangePeerInfo(byte[] info) {
        MirrorgateException refused = refuse(0, 0, false);
        if (refused == null && !peerInfoSupported()) {
            refused = new MirrorgateException(ErrorCode.ENOTSUP, name()
                    + ": the server is a plain export, it has no replication handshake");
        }
        if (refused == null) {
            refused = checkSize(info.length);
        }
        if (refused != null) {
            return CompletableFuture.failedFuture(refused);
        }
        ByteBuf payload = Unpooled.wrappedBuffer(info);
        return connection.submit(new PendingRequest(sequences.incrementAndGet(), Command.PEER_INFO,
                0, 0, info.length, Payloads.crc32c(payload), payload, true)).thenApply(o -> {
                    ByteBuf answer = (ByteBuf) o;
                    try {
                        byte[] bytes = new byte[answer.readableBytes()];
                        answer.getBytes(answer.readerIndex(), bytes);
                        return bytes;
                    } finally {
                        answer.release();
                    }
                });
    }

    @Override
    public CompletableFuture<ByteBuf> read(long offset, int length) {
        MirrorgateException refused = refuse(offset, length, false);
        if (refused == null) {
            refused = checkSize(length);
        }
        if (refused != null) {
            return CompletableFuture.failedFuture(refused);
        }
        // the request's own future, so that a buffer arriving after a cancel is released
        @SuppressWarnings("unchecked")
        CompletableFuture<ByteBuf> read = (CompletableFuture<ByteBuf>) (CompletableFuture<?>)
                connection.submit(new PendingRequest(sequences.incrementAndGet(), Command.READ,
                        0, offset, length, 0, null, false));
        return read;
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuf data, boolean fua) {
        int length = data.readableBytes();
        MirrorgateException refused = refuse(offset, length, true);
        if (refused == null) {
            refused = checkSize(length);
        }
        if (refused != null) {
            return CompletableFuture.failedFuture(refused);
        }
        return connection.submit(new PendingRequest(sequences.incrementAndGet(), Command.WRITE,
                fua ? GgateProtocol.FLAG_FUA : 0, offset, length, Payloads.crc32c(data), data,
                false)).thenApply(o -> null);
    }

    /** Whether the server takes scattered writes ({@link GgateProtocol#FEATURE_SCATTER}). */
    public boolean scatterSupported() {
        return (connection.features() & GgateProtocol.FEATURE_SCATTER) != 0;
    }

    @Override
    public int maxScatteredRanges() {
        return scatterSupported() ? Scatter.MAX_RANGES : 1;
    }

    /**
     * One {@link Command#WRITE_SCATTERED} request when the server granted it and table and data
     * fit in one request; otherwise one write per range.
     */
    @Override
    public CompletableFuture<Void> writeScattered(Scatter scatter, ByteBuf data, boolean fua) {
        long wire = ScatterPayload.tableLength(scatter.count()) + (long) data.readableBytes();
        if (!scatterSupported() || wire > maxRequestSize()) {
            return BlockDevice.super.writeScattered(scatter, data, fua);
        }
        MirrorgateException refused = refuse(0, 0, true);
        if (refused == null) {
            refused = scatter.check(this, data.readableBytes());
        }
        if (refused != null) {
            return CompletableFuture.failedFuture(refused);
        }
        // the request owns the table and a reference to the data, which the caller keeps too
        ByteBuf payload = Unpooled.wrappedBuffer(ScatterPayload.table(scatter, ByteBufAllocator.DEFAULT),
                data.retainedSlice());
        return connection.submit(new PendingRequest(sequences.incrementAndGet(),
                Command.WRITE_SCATTERED, fua ? GgateProtocol.FLAG_FUA : 0, scatter.offset(0),
                wire, Payloads.crc32c(payload), payload, true)).thenApply(o -> null);
    }

    @Override
    public CompletableFuture<Void> flush() {
        MirrorgateException refused = refuse(0, 0, false);
        if (refused != null) {
            return CompletableFuture.failedFuture(refused);
        }
        return connection.submit(new PendingRequest(sequences.incrementAndGet(), Command.FLUSH,
                0, 0, 0, 0, null, false)).thenApply(o -> null);
    }

    @Override
    public CompletableFuture<Void> trim(long offset, long length) {
        return ranged(Command.TRIM, 0, offset, length);
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
        return ranged(Command.WRITE_ZEROES, fua ? GgateProtocol.FLAG_FUA : 0, offset, length);
    }

    /** Whether the server answers BLOCK_STATUS and knows the write-zeroes flags. */
    public boolean allocationSupported() {
        return (connection.features() & GgateProtocol.FEATURE_ALLOCATION) != 0;
    }

    @Override
    public boolean supportsFastZero() {
        return allocationSupported();
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua, int flags) {
        int wire = (fua ? GgateProtocol.FLAG_FUA : 0)
                | ((flags & ZERO_NO_HOLE) != 0 ? GgateProtocol.FLAG_NO_HOLE : 0)
                | ((flags & ZERO_FAST) != 0 ? GgateProtocol.FLAG_FAST_ZERO : 0);
        if (allocationSupported() || wire == (fua ? GgateProtocol.FLAG_FUA : 0)) {
            return ranged(Command.WRITE_ZEROES, wire, offset, length);
        }
        if ((flags & ZERO_FAST) != 0) {
            return CompletableFuture.failedFuture(new MirrorgateException(ErrorCode.ENOTSUP,
                    name() + ": the server cannot be asked for fast zeroing (an older version)"));
        }
        MirrorgateException refused = refuse(offset, length, true);
        if (refused != null) {
            return CompletableFuture.failedFuture(refused);
        }
        // NO_HOLE to an older server, whose write-zeroes may punch: write the zeroes
        int chunk = (int) Math.min(length, maxRequestSize() - maxRequestSize() % blockSize());
        ByteBuf zeroes = Unpooled.wrappedBuffer(new byte[chunk]); // read-only use, shared
        List<CompletableFuture<Void>> parts = new ArrayList<>();
        for (long pos = offset; pos < offset + length; pos += chunk) {
            int n = (int) Math.min(chunk, offset + length - pos);
            parts.add(write(pos, zeroes.slice(0, n), fua));
        }
        return CompletableFuture.allOf(parts.toArray(new CompletableFuture<?>[0]));
    }

    @Override
    public CompletableFuture<List<Extent>> extents(long offset, long length) {
        if (!allocationSupported()) {
            return BlockDevice.super.extents(offset, length);
        }
        MirrorgateException refused = refuse(offset, length, false);
        if (refused == null && length == 0) {
            refused = DeviceRequests.checkExtents(this, offset, length);
        }
        if (refused != null) {
            return CompletableFuture.failedFuture(refused);
        }
        long n = Math.min(length, MAX_CHUNK - (MAX_CHUNK % blockSize()));
        return connection.submit(new PendingRequest(sequences.incrementAndGet(),
                Command.BLOCK_STATUS, 0, offset, n, 0, null, false)).thenApply(o -> {
                    ByteBuf payload = (ByteBuf) o;
                    try {
                        return ExtentList.decode(payload, offset, n, blockSize());
                    } finally {
                        payload.release();
                    }
                });
    }

    /** Trim and write-zeroes, split into pieces whose length fits the wire's u32. */
    private CompletableFuture<Void> ranged(Command command, int flags, long offset, long length) {
        MirrorgateException refused = refuse(offset, length, true);
        if (refused != null) {
            return CompletableFuture.failedFuture(refused);
        }
        long chunk = MAX_CHUNK - (MAX_CHUNK % blockSize());
        List<CompletableFuture<Object>> parts = new ArrayList<>();
        long pos = offset;
        long end = offset + length;
        do {
            long n = Math.min(chunk, end - pos);
            parts.add(connection.submit(new PendingRequest(sequences.incrementAndGet(), command,
                    flags, pos, n, 0, null, false)));
            pos += n;
        } while (pos < end);
        return CompletableFuture.allOf(parts.toArray(new CompletableFuture<?>[0]));
    }

    private MirrorgateException refuse(long offset, long length, boolean mutating) {
        if (closed.get() || connection.state() == ConnectionState.CLOSED) {
            return new MirrorgateException(ErrorCode.ESHUTDOWN, name() + ": closed"
                    + (connection.stats().lastError() == null ? "" : " (" + connection.stats().lastError() + ")"));
        }
        if (mutating && !options.access().canWrite()) {
            return new MirrorgateException(ErrorCode.EROFS,
                    name() + ": attached " + options.access() + ", writes are not permitted");
        }
        return DeviceRequests.check(this, offset, length);
    }

    private MirrorgateException checkSize(int length) {
        int max = maxRequestSize();
        return length > max ? new MirrorgateException(ErrorCode.EMSGSIZE,
                name() + ": length: " + length + " (expected: <= " + max + ")") : null;
    }

    /**
     * Fails every request not yet answered with ESHUTDOWN, closes the connection and stops the
     * event loop. Idempotent.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            connection.close();
        }
    }

    @Override
    public String toString() {
        return name() + " [" + state() + "]";
    }
}
