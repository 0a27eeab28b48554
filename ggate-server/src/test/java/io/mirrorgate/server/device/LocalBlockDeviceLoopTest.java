package io.mirrorgate.server.device;

import static io.mirrorgate.server.device.DeviceTestSupport.readBytes;
import static io.mirrorgate.server.device.DeviceTestSupport.writeBytes;
import static io.mirrorgate.server.testing.Futures.await;
import static io.mirrorgate.server.testing.Futures.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.LoopDevice;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import io.mirrorgate.server.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A real block device: a loop device over an image (root and losetup; fails under CI). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@EndToEnd
class LocalBlockDeviceLoopTest {
    private static final long MIB = 1024 * 1024;
    private static final int IMAGE = 64 * (int) MIB;

    @TempDir
    Path dir;

    private LoopDevice loop;

    @AfterEach
    void detach() throws Exception {
        if (loop != null) {
            loop.close();
        }
    }

    private Path imageWithRandomContent() throws Exception {
        return Files.write(dir.resolve("disk.img"), TestData.randomBytes(99, IMAGE));
    }

    @Test
    void sizeAndBlockSizeComeFromTheDevice() throws Exception {
        Path image = imageWithRandomContent();
        loop = LoopDevice.attach(image, 4096, 48 * MIB);
        try (LocalBlockDevice device = LocalBlockDevice.open(loop.path(),
                LocalDeviceOptions.defaults().withReadOnly(true))) {
            assertTrue(device.isBlockDevice());
            assertEquals(48 * MIB, device.size(), "the loop's size limit, not the file's size");
            assertEquals(4096, device.blockSize(), "BLKSSZGET of a 4096-sector loop");
            assertArrayEquals(TestData.randomBytes(99, IMAGE), concatReads(device));
            failure(device.read(48 * MIB, 4096), ErrorCode.EOVERFLOW);
            failure(device.read(512, 4096), ErrorCode.EINVAL);
        }
    }

    private static byte[] concatReads(LocalBlockDevice device) {
        byte[] out = new byte[IMAGE];
        int chunk = 4 * (int) MIB;
        for (int pos = 0; pos < device.size(); pos += chunk) {
            System.arraycopy(readBytes(device, pos, chunk), 0, out, pos, chunk);
        }
        byte[] rest = TestData.randomBytes(99, IMAGE);
        System.arraycopy(rest, (int) device.size(), out, (int) device.size(),
                IMAGE - (int) device.size());
        return out;
    }

    @Test
    void dataWrittenThroughTheDeviceEqualsTheImage() throws Exception {
        writeRandomThroughLoop(false);
    }

    @Test
    void dataWrittenThroughTheDeviceWithODirectEqualsTheImage() throws Exception {
        writeRandomThroughLoop(true);
    }

    private void writeRandomThroughLoop(boolean directIo) throws Exception {
        Path image = imageWithRandomContent();
        MemoryBlockDevice model = new MemoryBlockDevice("model", IMAGE, 512, false);
        writeBytes(model, 0, TestData.randomBytes(99, IMAGE), false, false);
        loop = LoopDevice.attach(image, 0, 0);
        Random random = new Random(5);
        LocalDeviceOptions options = LocalDeviceOptions.defaults().withDirectIo(directIo);
        try (LocalBlockDevice device = LocalBlockDevice.open(loop.path(), options)) {
            assertEquals(IMAGE, device.size());
            assertEquals(512, device.blockSize());
            for (int i = 0; i < 100; i++) {
                int length = (1 + random.nextInt(64)) * 4096;
                long offset = random.nextInt((IMAGE - length) / 4096) * 4096L;
                byte[] data = TestData.randomBytes(500 + i, length);
                writeBytes(device, offset, data, i % 2 == 0, i % 20 == 0);
                writeBytes(model, offset, data, false, false);
            }
            await(device.writeZeroes(MIB, 2 * MIB, false));
            await(model.writeZeroes(MIB, 2 * MIB, false));
            if (device.supportsTrim()) {
                await(device.trim(8 * MIB, 4 * MIB));
                await(model.trim(8 * MIB, 4 * MIB));
                assertArrayEquals(new byte[4 * (int) MIB], readBytes(device, 8 * MIB, 4 * (int) MIB));
            }
            assertArrayEquals(new byte[2 * (int) MIB], readBytes(device, MIB, 2 * (int) MIB));
            await(device.flush());
        }
        loop.close();
        assertEquals(model.sha256(), TestData.sha256(image));
    }

    @Test
    void trimDiscardsOnALoopDevice() throws Exception {
        Path image = imageWithRandomContent();
        loop = LoopDevice.attach(image, 0, 0);
        try (LocalBlockDevice device = LocalBlockDevice.open(loop.path(),
                LocalDeviceOptions.defaults())) {
            assertTrue(device.supportsTrim(), "loop over ext4 discards (queue/discard_max_bytes)");
            long before = DeviceTestSupport.allocatedBlocks(image);
            await(device.trim(16 * MIB, 16 * MIB));
            await(device.flush());
            assertArrayEquals(new byte[16 * (int) MIB], readBytes(device, 16 * MIB, 16 * (int) MIB));
            long after = DeviceTestSupport.allocatedBlocks(image);
            assertTrue((before - after) * 512 >= 16 * MIB,
                    "the image's blocks are freed: before=" + before + " after=" + after);
        }
    }
}
