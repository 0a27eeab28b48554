package io.mirrorgate.server.device;

import static io.mirrorgate.server.device.DeviceTestSupport.readBytes;
import static io.mirrorgate.server.device.DeviceTestSupport.writeBytes;
import static io.mirrorgate.server.testing.Futures.await;
import static io.mirrorgate.server.testing.Futures.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Requests and opens that must fail, and how: the right code, a clear message, no damage. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LocalBlockDeviceErrorsTest {
    private static final long MIB = 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    void misalignedAndOutOfRangeRequestsFailAndWriteNothing() throws Exception {
        Path image = TestData.sparseFile(dir.resolve("disk.img"), 4 * MIB);
        try (LocalBlockDevice device = LocalBlockDevice.open(image, LocalDeviceOptions.defaults())) {
            writeBytes(device, 0, TestData.randomBytes(1, 4 * (int) MIB), false, true);
        }
        String before = TestData.sha256(image);
        try (LocalBlockDevice device = LocalBlockDevice.open(image, LocalDeviceOptions.defaults())) {
            ByteBuf data = Unpooled.wrappedBuffer(new byte[4096]);
            try {
                MirrorgateException misaligned = failure(device.write(100, data, false),
                        ErrorCode.EINVAL);
                assertTrue(misaligned.getMessage().contains("offset 100"), misaligned.getMessage());
                assertTrue(misaligned.getMessage().contains(image.toString()));
                failure(device.write(0, data.slice(0, 1000), false), ErrorCode.EINVAL);
                MirrorgateException past = failure(device.write(4 * MIB - 2048, data, true),
                        ErrorCode.EOVERFLOW);
                assertTrue(past.getMessage().contains("size: " + 4 * MIB), past.getMessage());
                failure(device.write(8 * MIB, data, false), ErrorCode.EOVERFLOW);
                failure(device.write(-4096, data, false), ErrorCode.EINVAL);
            } finally {
                data.release();
            }
            failure(device.read(4 * MIB, 512), ErrorCode.EOVERFLOW);
            failure(device.read(512, 100), ErrorCode.EINVAL);
            failure(device.read(0, -512), ErrorCode.EINVAL);
            failure(device.trim(4 * MIB - 512, 1024), ErrorCode.EOVERFLOW);
            failure(device.trim(1, 512), ErrorCode.EINVAL);
            failure(device.writeZeroes(0, 4 * MIB + 512, false), ErrorCode.EOVERFLOW);
            failure(device.writeZeroes(0, 511, false), ErrorCode.EINVAL);
            failure(device.writeZeroes(Long.MAX_VALUE - 511, 1024, false), ErrorCode.EOVERFLOW);
            assertEquals(0, device.stats().writes() + device.stats().trims());
        }
        assertEquals(before, TestData.sha256(image));
        assertEquals(4 * MIB, Files.size(image));
    }

    @Test
    void readOnlyDeviceRefusesEveryMutationWithErofs() throws Exception {
        Path image = TestData.sparseFile(dir.resolve("disk.img"), 4 * MIB);
        byte[] data = TestData.randomBytes(2, 8192);
        try (LocalBlockDevice device = LocalBlockDevice.open(image, LocalDeviceOptions.defaults())) {
            writeBytes(device, 8192, data, false, true);
        }
        String before = TestData.sha256(image);
        LocalDeviceOptions readOnly = LocalDeviceOptions.defaults().withReadOnly(true);
        try (LocalBlockDevice device = LocalBlockDevice.open(image, readOnly)) {
            assertTrue(device.isReadOnly());
            ByteBuf buf = Unpooled.wrappedBuffer(new byte[4096]);
            try {
                MirrorgateException refused = failure(device.write(0, buf, false), ErrorCode.EROFS);
                assertTrue(refused.getMessage().contains("read-only"), refused.getMessage());
            } finally {
                buf.release();
            }
            failure(device.trim(0, 4096), ErrorCode.EROFS);
            failure(device.writeZeroes(0, 4096, true), ErrorCode.EROFS);
            assertArrayEquals(data, readBytes(device, 8192, data.length));
            await(device.flush());
        }
        assertEquals(before, TestData.sha256(image));
    }

    @Test
    void readPastAnExternallyTruncatedFileFailsWithEio() throws Exception {
        Path image = TestData.sparseFile(dir.resolve("disk.img"), 4 * MIB);
        try (LocalBlockDevice device = LocalBlockDevice.open(image, LocalDeviceOptions.defaults())) {
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(image,
                    java.nio.file.StandardOpenOption.WRITE)) {
                ch.truncate(MIB);
            }
            MirrorgateException e = failure(device.read(2 * MIB, 4096), ErrorCode.EIO);
            assertTrue(e.getMessage().contains("read of 4096 bytes at offset " + 2 * MIB
                    + " made no progress"), e.getMessage());
            assertEquals(1, device.stats().errors());
        }
    }

    @Test
    void missingPathFailsWithEnoentNamingThePath() {
        Path missing = dir.resolve("no-such.img");
        MirrorgateException e = assertThrows(MirrorgateException.class,
                () -> LocalBlockDevice.open(missing, LocalDeviceOptions.defaults()));
        assertEquals(ErrorCode.ENOENT, e.code());
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("No such file"), e.getMessage());
    }

    @Test
    void directoryFailsWithEinvalReadWriteAndReadOnly() {
        for (LocalDeviceOptions options : List.of(LocalDeviceOptions.defaults(),
                LocalDeviceOptions.defaults().withReadOnly(true))) {
            MirrorgateException e = assertThrows(MirrorgateException.class,
                    () -> LocalBlockDevice.open(dir, options));
            assertEquals(ErrorCode.EINVAL, e.code());
            assertTrue(e.getMessage().contains(dir + ": is a directory (expected: a regular file"
                    + " or a block device)"), e.getMessage());
        }
    }

    @Test
    void openFailuresThatRootCannotProvokeStillSayWhatToDo() {
        LocalDeviceOptions readWrite = LocalDeviceOptions.defaults();
        MirrorgateException denied = DeviceProbe.openFailure("/dev/sdz", 13, readWrite);
        assertEquals(ErrorCode.EACCES, denied.code());
        assertEquals("/dev/sdz: cannot open read-write: Permission denied (errno 13)"
                + " (expected: permission to read and write it)", denied.getMessage());
        MirrorgateException readOnlyFs = DeviceProbe.openFailure("/mnt/ro/disk.img", 30,
                readWrite);
        assertEquals(ErrorCode.EROFS, readOnlyFs.code());
        assertTrue(readOnlyFs.getMessage().endsWith("(open it read-only instead)"));
        MirrorgateException noDirect = DeviceProbe.openFailure("/tmp/disk.img", 22,
                readWrite.withDirectIo(true));
        assertEquals(ErrorCode.EINVAL, noDirect.code());
        assertTrue(noDirect.getMessage().contains("cannot open with O_DIRECT"));
    }

    @Test
    void badOptionsFailBeforeAnythingIsOpened() {
        assertEquals(ErrorCode.EINVAL, assertThrows(MirrorgateException.class,
                () -> LocalDeviceOptions.defaults().withIoThreads(0)).code());
        assertEquals(ErrorCode.EINVAL, assertThrows(MirrorgateException.class,
                () -> LocalDeviceOptions.defaults().withMaxQueued(0)).code());
        MirrorgateException e = assertThrows(MirrorgateException.class,
                () -> LocalDeviceOptions.defaults().withBlockSize(1000));
        assertTrue(e.getMessage().contains("blockSize: 1000"), e.getMessage());
    }

    @Test
    void blockSizeOverrideAppliesAndSizeIsWholeBlocks() throws Exception {
        Path image = TestData.sparseFile(dir.resolve("odd.img"), 4 * MIB + 1536);
        LocalDeviceOptions options = LocalDeviceOptions.defaults().withBlockSize(4096);
        try (LocalBlockDevice device = LocalBlockDevice.open(image, options)) {
            assertEquals(4096, device.blockSize());
            assertEquals(4 * MIB, device.size());
            failure(device.read(512, 512), ErrorCode.EINVAL);
        }
    }

    @Test
    void closeLetsInFlightRequestsFinishThenRefusesWithEshutdown() throws Exception {
        Path image = TestData.sparseFile(dir.resolve("disk.img"), 64 * MIB);
        LocalBlockDevice device = LocalBlockDevice.open(image,
                LocalDeviceOptions.defaults().withIoThreads(2));
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        List<ByteBuf> buffers = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            ByteBuf buf = Unpooled.wrappedBuffer(TestData.randomBytes(i, (int) MIB));
            buffers.add(buf);
            writes.add(device.write(i * MIB, buf, false));
        }
        device.close();
        writes.forEach(w -> assertTrue(w.isDone() && !w.isCompletedExceptionally()));
        buffers.forEach(ByteBuf::release);
        failure(device.read(0, 512), ErrorCode.ESHUTDOWN);
        failure(device.flush(), ErrorCode.ESHUTDOWN);
        device.close();
        for (int i = 0; i < 64; i += 9) {
            assertEquals(TestData.sha256(TestData.randomBytes(i, (int) MIB)),
                    TestData.sha256(image, i * MIB, (int) MIB));
        }
    }

    @Test
    void closeFromACallbackOnTheIoThreadDoesNotDeadlock() throws Exception {
        Path image = TestData.sparseFile(dir.resolve("disk.img"), MIB);
        LocalBlockDevice device = LocalBlockDevice.open(image, LocalDeviceOptions.defaults());
        CompletableFuture<Void> closed = device.flush().thenRun(device::close);
        await(closed);
        device.close();
        failure(device.flush(), ErrorCode.ESHUTDOWN);
    }
}
