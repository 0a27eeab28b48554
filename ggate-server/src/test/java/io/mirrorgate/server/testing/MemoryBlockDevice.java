package io.mirrorgate.server.testing;

import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.server.device.DeviceRequests;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A sparse in-memory block device for tests: 64 KiB chunks allocated on first write. It can be
 * told to fail every request ({@link #setFailing}) to stand in for a dead disk or peer, and it
 * counts the bytes written so tests can check how much a resync copied.
 */
public final class MemoryBlockDevice implements BlockDevice {
    private static final int CHUNK = 64 * 1024;

    private final String name;
    private final long size;
    private final int blockSize;
    private final boolean readOnly;
    private final Map<Long, byte[]> chunks = new HashMap<>();
    private final AtomicLong bytesWritten = new AtomicLong();
    private volatile ErrorCode failing;
    private volatile boolean closed;

    public MemoryBlockDevice(String name, long size, int blockSize, boolean readOnly) {
        this.name = name;
        this.size = size;
        this.blockSize = blockSize;
        this.readOnly = readOnly;
    }

    public MemoryBlockDevice(long size) {
        this("memory", size, 512, false);
    }

    /** Makes every later request fail with {@code code}; null heals the device. */
    public void setFailing(ErrorCode code) {
        this.failing = code;
    }

    /** Bytes accepted by write and write-zeroes since creation. */
    public long bytesWritten() {
        return bytesWritten.get();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public boolean isReadOnly() {
        return readOnly;
    }

    private MirrorgateException refuse(long offset, long length, boolean mutating) {
        if (closed) {
            return new MirrorgateException(ErrorCode.ESHUTDOWN, name + ": closed");
        }
        if (failing != null) {
            return new MirrorgateException(failing, name + ": injected failure " + failing);
        }
        return mutating ? DeviceRequests.checkWrite(this, offset, length)
                : DeviceRequests.check(this, offset, length);
    }

    @Override
    public synchronized CompletableFuture<ByteBuf> read(long offset, int length) {
        MirrorgateException refused = refuse(offset, length, false);
        if (refused != null) {
            return CompletableFuture.failedFuture(refused);
        }
        byte[] out = new byte[length];
        copy(offset, out, 0, length, false);
        return CompletableFuture.completedFuture(Unpooled.wrappedBuffer(out));
    }

    @Override
    public synchronized CompletableFuture<Void> write(long offset, ByteBuf data, boolean fua) {
        int length = data.readableBytes();
        MirrorgateException refused = refuse(offset, length, true);
        if (refused != null) {
            return CompletableFuture.failedFuture(refused);
        }
        byte[] in = new byte[length];
        data.getBytes(data.readerIndex(), in);
        copy(offset, in, 0, length, true);
        bytesWritten.addAndGet(length);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> flush() {
        MirrorgateException refused = refuse(0, 0, false);
        return refused != null ? CompletableFuture.failedFuture(refused)
                : CompletableFuture.completedFuture(null);
    }

    @Override
    public synchronized CompletableFuture<Void> trim(long offset, long length) {
        return writeZeroes(offset, length, false);
    }

    @Override
    public synchronized CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
        MirrorgateException refused = refuse(offset, length, true);
        if (refused != null) {
            return CompletableFuture.failedFuture(refused);
        }
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            int n = (int) Math.min(end - pos, CHUNK - (pos % CHUNK));
            byte[] chunk = chunks.get(pos / CHUNK);
            if (chunk != null) {
                java.util.Arrays.fill(chunk, (int) (pos % CHUNK), (int) (pos % CHUNK) + n, (byte) 0);
            }
            pos += n;
        }
        bytesWritten.addAndGet(length);
        return CompletableFuture.completedFuture(null);
    }

    private void copy(long offset, byte[] buf, int bufOffset, int length, boolean toDevice) {
        long pos = offset;
        int done = 0;
        while (done < length) {
            long index = pos / CHUNK;
            int within = (int) (pos % CHUNK);
            int n = Math.min(length - done, CHUNK - within);
            byte[] chunk = chunks.get(index);
            if (toDevice) {
                if (chunk == null) {
                    chunk = new byte[CHUNK];
                    chunks.put(index, chunk);
                }
                System.arraycopy(buf, bufOffset + done, chunk, within, n);
            } else if (chunk != null) {
                System.arraycopy(chunk, within, buf, bufOffset + done, n);
            }
            pos += n;
            done += n;
        }
    }

    /** SHA-256 of the whole device content, as hex, for comparing replicas. */
    public synchronized String sha256() {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] zeros = new byte[CHUNK];
            for (long pos = 0; pos < size; pos += CHUNK) {
                byte[] chunk = chunks.get(pos / CHUNK);
                int n = (int) Math.min(CHUNK, size - pos);
                digest.update(chunk != null ? chunk : zeros, 0, n);
            }
            return java.util.HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        closed = true;
    }
}
