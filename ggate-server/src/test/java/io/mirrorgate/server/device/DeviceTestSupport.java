package io.mirrorgate.server.device;

import static io.mirrorgate.server.testing.Futures.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import jnr.posix.FileStat;

/** Small helpers shared by the local device tests. */
final class DeviceTestSupport {
    private DeviceTestSupport() {}

    /** Reads through {@code device} into a byte array, releasing the buffer. */
    static byte[] readBytes(BlockDevice device, long offset, int length) {
        ByteBuf buf = await(device.read(offset, length));
        try {
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    /** Writes {@code data} through {@code device}, from a heap or a direct buffer. */
    static void writeBytes(BlockDevice device, long offset, byte[] data, boolean direct,
            boolean fua) {
        ByteBuf buf = direct ? Unpooled.directBuffer(data.length).writeBytes(data)
                : Unpooled.wrappedBuffer(data);
        try {
            await(device.write(offset, buf, fua));
        } finally {
            buf.release();
        }
    }

    /** 512-byte blocks the filesystem has allocated to {@code file} ({@code st_blocks}). */
    static long allocatedBlocks(Path file) {
        FileStat stat = LinuxCalls.posix().stat(file.toString());
        return stat.blocks();
    }
}
