package io.mirrorgate.replicator.peer;

import io.mirrorgate.client.remote.RemoteBlockDevice;
import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.server.device.Scatter;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The stable {@link BlockDevice} of a {@link RemotePeerLink}: forwards every request to the
 * link's current remote device, or fails it at once with {@code ECONNREFUSED} while there is
 * none. Reads and writes longer than the connection's maximum request size are split into
 * pieces (the NBD server accepts 32 MiB requests; a ggate server may be configured lower).
 * Closing it does nothing: the link owns the remote device.
 */
final class PeerDevice implements BlockDevice {
    private final RemotePeerLink link;
    private final String name;

    PeerDevice(RemotePeerLink link, String name) {
        this.link = link;
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long size() {
        RemoteBlockDevice d = link.current();
        return d != null ? d.size() : link.lastSize();
    }

    @Override
    public int blockSize() {
        RemoteBlockDevice d = link.current();
        return d != null ? d.blockSize() : link.lastBlockSize();
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    private RemoteBlockDevice deviceOrNull() {
        return link.current();
    }

    private <T> CompletableFuture<T> away() {
        return CompletableFuture.failedFuture(new MirrorgateException(ErrorCode.ECONNREFUSED,
                name + ": peer not connected" + (link.lastError() != null
                        ? " (" + link.lastError() + ")" : "")));
    }

    @Override
    public CompletableFuture<ByteBuf> read(long offset, int length) {
        RemoteBlockDevice d = deviceOrNull();
        if (d == null) {
            return away();
        }
        int max = d.maxRequestSize();
        if (length <= max) {
            return d.read(offset, length);
        }
        List<CompletableFuture<ByteBuf>> parts = new ArrayList<>();
        for (int pos = 0; pos < length; pos += max) {
            parts.add(d.read(offset + pos, Math.min(max, length - pos)));
        }
        return Scatter.join(parts);
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuf data, boolean fua) {
        RemoteBlockDevice d = deviceOrNull();
        if (d == null) {
            return away();
        }
        int length = data.readableBytes();
        int max = d.maxRequestSize();
        if (length <= max) {
            return d.write(offset, data, fua);
        }
        // the caller keeps data readable until the returned future completes: slices suffice
        List<CompletableFuture<Void>> parts = new ArrayList<>();
        for (int pos = 0; pos < length; pos += max) {
            int n = Math.min(max, length - pos);
            parts.add(d.write(offset + pos, data.slice(data.readerIndex() + pos, n), fua));
        }
        return CompletableFuture.allOf(parts.toArray(new CompletableFuture<?>[0]));
    }

    @Override
    public int maxScatteredRanges() {
        RemoteBlockDevice d = deviceOrNull();
        return d != null ? d.maxScatteredRanges() : 1;
    }

    @Override
    public CompletableFuture<Void> writeScattered(Scatter scatter, ByteBuf data, boolean fua) {
        RemoteBlockDevice d = deviceOrNull();
        return d != null ? d.writeScattered(scatter, data, fua) : away();
    }

    @Override
    public CompletableFuture<Void> flush() {
        RemoteBlockDevice d = deviceOrNull();
        return d != null ? d.flush() : away();
    }

    @Override
    public CompletableFuture<Void> trim(long offset, long length) {
        RemoteBlockDevice d = deviceOrNull();
        return d != null ? d.trim(offset, length) : away();
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
        RemoteBlockDevice d = deviceOrNull();
        return d != null ? d.writeZeroes(offset, length, fua) : away();
    }

    /** Does nothing: the {@link RemotePeerLink} owns and closes the remote device. */
    @Override
    public void close() {
        // the link owns the remote device
    }

    @Override
    public String toString() {
        return name;
    }
}
