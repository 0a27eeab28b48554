package io.mirrorgate.server.device;

import static io.mirrorgate.server.device.DeviceTestSupport.readBytes;
import static io.mirrorgate.server.testing.Futures.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Writes take the readable bytes of any kind of buffer (heap, direct, offset slices, composite)
 * without consuming or releasing it, buffered and with {@code O_DIRECT}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LocalBlockDeviceBuffersTest {
    private static final int BLOCK = 4096;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "directIo={0}")
    @ValueSource(booleans = {false, true})
    void writesTakeTheReadableBytesOfEveryBufferKind(boolean directIo) throws Exception {
        Path image = TestData.sparseFile(dir.resolve("disk.img"), 1024 * 1024);
        byte[] data = TestData.randomBytes(3, 3 * BLOCK);
        List<ByteBuf> buffers = List.of(
                withPrefix(Unpooled.buffer(100 + data.length), data),
                withPrefix(Unpooled.directBuffer(100 + data.length), data),
                withPrefix(PooledByteBufAllocator.DEFAULT.directBuffer(100 + data.length), data),
                Unpooled.wrappedBuffer(concat(new byte[100], data), 100, data.length).slice(),
                composite(data));
        LocalDeviceOptions options = LocalDeviceOptions.defaults().withDirectIo(directIo);
        try (LocalBlockDevice device = LocalBlockDevice.open(image, options)) {
            long offset = 0;
            for (ByteBuf buf : buffers) {
                int readerIndex = buf.readerIndex();
                await(device.write(offset, buf, false));
                assertEquals(readerIndex, buf.readerIndex(), "the write does not consume");
                assertEquals(1, buf.refCnt(), "the write does not release");
                assertArrayEquals(data, readBytes(device, offset, data.length),
                        buf.getClass().getSimpleName());
                offset += 4 * BLOCK;
            }
        } finally {
            buffers.forEach(ByteBuf::release);
        }
    }

    private static ByteBuf withPrefix(ByteBuf buf, byte[] data) {
        return buf.writeZero(100).writeBytes(data).readerIndex(100);
    }

    private static ByteBuf composite(byte[] data) {
        CompositeByteBuf composite = Unpooled.compositeBuffer();
        composite.addComponent(true, Unpooled.wrappedBuffer(data, 0, 1000));
        composite.addComponent(true, Unpooled.directBuffer(BLOCK).writeBytes(data, 1000, BLOCK));
        composite.addComponent(true, Unpooled.wrappedBuffer(data, 1000 + BLOCK,
                data.length - 1000 - BLOCK));
        return composite;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
