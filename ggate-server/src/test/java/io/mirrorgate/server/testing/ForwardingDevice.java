package io.mirrorgate.server.testing;

import io.mirrorgate.server.device.BlockDevice;
import io.netty.buffer.ByteBuf;
import io.mirrorgate.server.device.Extent;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A device that forwards everything to another; tests override one method to record or fail. */
public class ForwardingDevice implements BlockDevice {
    protected final BlockDevice delegate;

    public ForwardingDevice(BlockDevice delegate) {
        this.delegate = delegate;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public long size() {
        return delegate.size();
    }

    @Override
    public int blockSize() {
        return delegate.blockSize();
    }

    @Override
    public boolean isReadOnly() {
        return delegate.isReadOnly();
    }

    @Override
    public boolean supportsTrim() {
        return delegate.supportsTrim();
    }

    @Override
    public CompletableFuture<ByteBuf> read(long offset, int length) {
        return delegate.read(offset, length);
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuf data, boolean fua) {
        return delegate.write(offset, data, fua);
    }

    @Override
    public CompletableFuture<Void> flush() {
        return delegate.flush();
    }

    @Override
    public CompletableFuture<Void> trim(long offset, long length) {
        return delegate.trim(offset, length);
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
        return delegate.writeZeroes(offset, length, fua);
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua, int flags) {
        return delegate.writeZeroes(offset, length, fua, flags);
    }

    @Override
    public boolean supportsFastZero() {
        return delegate.supportsFastZero();
    }

    @Override
    public CompletableFuture<List<Extent>> extents(long offset, long length) {
        return delegate.extents(offset, length);
    }

    @Override
    public CompletableFuture<Void> cache(long offset, long length) {
        return delegate.cache(offset, length);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
