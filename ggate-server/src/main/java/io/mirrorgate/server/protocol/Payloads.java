package io.mirrorgate.server.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.CorruptedFrameException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/** Payload checksums (CRC32C) and LZ4 compression of payloads. */
public final class Payloads {
    private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();
    private static final LZ4Compressor COMPRESSOR = LZ4.fastCompressor();
    private static final LZ4SafeDecompressor DECOMPRESSOR = LZ4.safeDecompressor();

    private Payloads() {}

    /** The CRC32C of the readable bytes of {@code data} (indexes unchanged). */
    public static int crc32c(ByteBuf data) {
        CRC32C crc = new CRC32C();
        if (data.nioBufferCount() == 1) {
            crc.update(data.nioBuffer());
        } else {
            for (ByteBuffer part : data.nioBuffers()) {
                crc.update(part);
            }
        }
        return (int) crc.getValue();
    }

    /**
     * The LZ4 block compression of the readable bytes of {@code data}, or null when it would
     * not be smaller. {@code data} is not released.
     */
    public static ByteBuf compress(ByteBufAllocator alloc, ByteBuf data) {
        int length = data.readableBytes();
        if (length < 64) {
            return null;
        }
        int bound = Math.min(COMPRESSOR.maxCompressedLength(length), length - 1);
        ByteBuf out = alloc.buffer(bound);
        try {
            ByteBuffer dest = out.internalNioBuffer(0, bound);
            int n = COMPRESSOR.compress(data.nioBuffer(), 0, length, dest, dest.position(), bound);
            out.writerIndex(n);
            ByteBuf result = out;
            out = null;
            return result;
        } catch (LZ4Exception doesNotFit) {
            // the compressed form would be at least as long as the data: send it as it is
            return null;
        } finally {
            if (out != null) {
                out.release();
            }
        }
    }

    /**
     * Decompresses {@code compressed} (all readable bytes) into a new buffer of exactly
     * {@code length} bytes; the caller checked {@code length} against the limit.
     */
    public static ByteBuf decompress(ByteBufAllocator alloc, ByteBuf compressed, int length) {
        ByteBuf out = alloc.buffer(length);
        boolean done = false;
        try {
            ByteBuffer dest = out.internalNioBuffer(0, length);
            int n;
            try {
                n = DECOMPRESSOR.decompress(compressed.nioBuffer(), 0,
                        compressed.readableBytes(), dest, dest.position(), length);
            } catch (LZ4Exception e) {
                throw new CorruptedFrameException("LZ4 payload does not decompress: " + e.getMessage(), e);
            }
            if (n != length) {
                throw new CorruptedFrameException("LZ4 payload length: " + n
                        + " (expected: " + length + ")");
            }
            out.writerIndex(length);
            done = true;
            return out;
        } finally {
            if (!done) {
                out.release();
            }
        }
    }
}
