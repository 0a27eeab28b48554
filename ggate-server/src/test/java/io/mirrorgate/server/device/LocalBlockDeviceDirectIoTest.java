package io.mirrorgate.server.device;

import static io.mirrorgate.server.device.DeviceTestSupport.readBytes;
import static io.mirrorgate.server.device.DeviceTestSupport.writeBytes;
import static io.mirrorgate.server.testing.Futures.await;
import static io.mirrorgate.server.testing.Futures.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code O_DIRECT} path. The image lives in JUnit's temp directory, which is ext4 on this
 * machine (/tmp is not a tmpfs); ext4 and xfs support direct I/O.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LocalBlockDeviceDirectIoTest {
    private static final long MIB = 1024 * 1024;
    private static final int O_DIRECT_OCTAL = 040000;

    @TempDir
    Path dir;

    @Test
    void directIoDescriptorHasODirectAnd4096Blocks() throws Exception {
        Path image = TestData.sparseFile(dir.resolve("disk.img"), 16 * MIB);
        LocalDeviceOptions options = LocalDeviceOptions.defaults().withDirectIo(true);
        try (LocalBlockDevice device = LocalBlockDevice.open(image, options)) {
            assertEquals(4096, device.blockSize());
            assertTrue((openFlags(image) & O_DIRECT_OCTAL) != 0, "descriptor opened O_DIRECT");
        }
        try (LocalBlockDevice device = LocalBlockDevice.open(image, LocalDeviceOptions.defaults())) {
            assertEquals(0, openFlags(image) & O_DIRECT_OCTAL, "buffered without directIo");
        }
    }

    @Test
    void unalignedAndAlignedCallerBuffersAllReachTheImage() throws Exception {
        long size = 64 * MIB;
        Path image = TestData.sparseFile(dir.resolve("disk.img"), size);
        MemoryBlockDevice model = new MemoryBlockDevice("model", size, 4096, false);
        Random random = new Random(11);
        LocalDeviceOptions options = LocalDeviceOptions.defaults().withDirectIo(true);
        try (LocalBlockDevice device = LocalBlockDevice.open(image, options)) {
            for (int i = 0; i < 150; i++) {
                int length = (1 + random.nextInt(64)) * 4096;
                long offset = random.nextInt((int) ((size - length) / 4096)) * 4096L;
                byte[] data = TestData.randomBytes(i, length);
                switch (i % 3) {
                    case 0:
                        writeBytes(device, offset, data, false, false);
                        break;
                    case 1:
                        writeBytes(device, offset, data, true, i % 10 == 1);
                        break;
                    default:
                        ByteBuf aligned = IoBuffers.allocate(length, true);
                        try {
                            aligned.setBytes(0, data);
                            await(device.write(offset, aligned, false));
                        } finally {
                            aligned.release();
                        }
                }
                writeBytes(model, offset, data, false, false);
                if (i % 25 == 0) {
                    assertArrayEquals(data, readBytes(device, offset, length));
                }
            }
            await(device.writeZeroes(8 * MIB, 4 * MIB, true));
            await(model.writeZeroes(8 * MIB, 4 * MIB, false));
            ByteBuf read = await(device.read(4096, 8192));
            try {
                assertEquals(0, read.nioBuffer().alignmentOffset(0, IoBuffers.ALIGNMENT),
                        "read buffers are page-aligned");
            } finally {
                read.release();
            }
            assertEquals(150 + 1, device.stats().writes());
        }
        assertEquals(model.sha256(), TestData.sha256(image));
    }

    @Test
    void requestsBelowTheDirectBlockSizeFailWithEinval() throws Exception {
        Path image = TestData.sparseFile(dir.resolve("disk.img"), 4 * MIB);
        long allocated = DeviceTestSupport.allocatedBlocks(image);
        LocalDeviceOptions options = LocalDeviceOptions.defaults().withDirectIo(true);
        try (LocalBlockDevice device = LocalBlockDevice.open(image, options)) {
            ByteBuf data = io.netty.buffer.Unpooled.wrappedBuffer(new byte[4096]);
            try {
                failure(device.write(512, data, true), ErrorCode.EINVAL);
                failure(device.write(0, data.slice(0, 512), true), ErrorCode.EINVAL);
            } finally {
                data.release();
            }
            failure(device.read(512, 4096), ErrorCode.EINVAL);
            failure(device.read(0, 512), ErrorCode.EINVAL);
            failure(device.writeZeroes(4096, 1024, false), ErrorCode.EINVAL);
        }
        assertEquals(allocated, DeviceTestSupport.allocatedBlocks(image), "nothing written");
    }

    @Test
    void zeroBufferFallbackWorksWithODirect() throws Exception {
        Path image = TestData.sparseFile(dir.resolve("disk.img"), 4 * MIB);
        byte[] data = TestData.randomBytes(9, 4 * (int) MIB);
        Files.write(image, data);
        DeviceFile file = DeviceFile.open(image, LocalDeviceOptions.defaults().withDirectIo(true));
        try {
            file.writeZeroesByWriting(4096, DeviceFile.ZERO_CHUNK + 8192);
        } finally {
            file.close();
        }
        java.util.Arrays.fill(data, 4096, 4096 + DeviceFile.ZERO_CHUNK + 8192, (byte) 0);
        assertEquals(TestData.sha256(data), TestData.sha256(image));
    }

    /** The open flags (octal, from /proc/self/fdinfo) of this process's descriptor on file. */
    static int openFlags(Path file) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                Path target;
                try {
                    target = Files.readSymbolicLink(fd);
                } catch (IOException gone) {
                    continue; // the descriptor that listed the directory closes meanwhile
                }
                if (target.equals(file)) {
                    for (String line : Files.readAllLines(
                            Path.of("/proc/self/fdinfo", fd.getFileName().toString()))) {
                        if (line.startsWith("flags:")) {
                            return Integer.parseInt(line.substring(6).trim(), 8);
                        }
                    }
                }
            }
        }
        throw new AssertionError("no open descriptor on " + file);
    }
}
