package io.mirrorgate.server.device;

import static io.mirrorgate.server.device.DeviceTestSupport.readBytes;
import static io.mirrorgate.server.testing.Futures.await;
import static io.mirrorgate.server.testing.Futures.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.server.testing.ExternalTools;
import io.mirrorgate.server.testing.SparseImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Allocation (SEEK_DATA/SEEK_HOLE), write-zeroes with and without NO_HOLE and FAST, cache. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LocalBlockDeviceAllocationTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;
    private Path shm;

    @AfterEach
    void removeShm() throws Exception {
        if (shm != null) {
            Files.deleteIfExists(shm);
        }
    }

    @Test
    void extentsShowTheDataRunsAndTheHolesBetweenThem() throws Exception {
        Path image = SparseImages.create(dir.resolve("disk.img"), 64 * MIB, 4, (int) MIB);
        try (LocalBlockDevice device = LocalBlockDevice.open(image, LocalDeviceOptions.defaults())) {
            List<Extent> extents = await(device.extents(0, 64 * MIB));
            assertEquals(8, extents.size(), extents.toString());
            for (int i = 0; i < 4; i++) {
                assertEquals(new Extent(i * 16 * MIB, MIB, Extent.Allocation.DATA), extents.get(2 * i));
                assertEquals(new Extent(i * 16 * MIB + MIB, 15 * MIB, Extent.Allocation.HOLE),
                        extents.get(2 * i + 1));
            }
            assertEquals(List.of(new Extent(MIB + 512, 4 * MIB, Extent.Allocation.HOLE)),
                    await(device.extents(MIB + 512, 4 * MIB)), "a range inside a hole");
            failure(device.extents(0, 0), ErrorCode.EINVAL);
        }
    }

    @Test
    void extentsAreBoundedPerCallAndTheCallerContinues() throws Exception {
        int runs = LocalBlockDevice.MAX_EXTENTS_PER_CALL; // 2x the limit of extents
        Path image = SparseImages.create(dir.resolve("many.img"), runs * 2 * MIB, runs, 4096);
        try (LocalBlockDevice device = LocalBlockDevice.open(image, LocalDeviceOptions.defaults())) {
            List<Extent> first = await(device.extents(0, device.size()));
            assertEquals(LocalBlockDevice.MAX_EXTENTS_PER_CALL, first.size());
            long end = first.get(first.size() - 1).end();
            assertTrue(end < device.size());
            List<Extent> rest = await(device.extents(end, device.size() - end));
            assertEquals(end, rest.get(0).offset());
            assertEquals(device.size(), rest.get(rest.size() - 1).end());
        }
    }

    @Test
    void writeZeroesPunchesAHoleUnlessNoHoleAsksToStayAllocated() throws Exception {
        Path image = SparseImages.create(dir.resolve("z.img"), 16 * MIB, 2, (int) (2 * MIB));
        try (LocalBlockDevice device = LocalBlockDevice.open(image, LocalDeviceOptions.defaults())) {
            long before = SparseImages.allocatedBytes(image);
            await(device.writeZeroes(0, MIB, false));
            assertEquals(before - MIB, SparseImages.allocatedBytes(image));
            await(device.writeZeroes(8 * MIB, MIB, false, BlockDevice.ZERO_NO_HOLE));
            assertEquals(before - MIB, SparseImages.allocatedBytes(image));
            assertArrayEquals(new byte[(int) MIB], readBytes(device, 8 * MIB, (int) MIB));
            assertArrayEquals(new byte[(int) MIB], readBytes(device, 0, (int) MIB));
        }
    }

    @Test
    void noHoleOnTmpfsWritesZeroesAndFastZeroIsRefusedThere() throws Exception {
        Path tmpfs = ExternalTools.requireWritable(Path.of("/dev/shm"), "a tmpfs, which lacks ZERO_RANGE");
        shm = SparseImages.create(Files.createTempFile(tmpfs, "mirrorgate-", ".img"),
                8 * MIB, 1, (int) (4 * MIB));
        try (LocalBlockDevice device = LocalBlockDevice.open(shm, LocalDeviceOptions.defaults())) {
            long before = SparseImages.allocatedBytes(shm);
            await(device.writeZeroes(0, 2 * MIB, true, BlockDevice.ZERO_NO_HOLE));
            assertEquals(before, SparseImages.allocatedBytes(shm), "tmpfs has no ZERO_RANGE:"
                    + " the zeroes are written, the range stays allocated");
            assertArrayEquals(new byte[(int) (2 * MIB)], readBytes(device, 0, (int) (2 * MIB)));
            failure(device.writeZeroes(2 * MIB, MIB, false,
                    BlockDevice.ZERO_NO_HOLE | BlockDevice.ZERO_FAST), ErrorCode.ENOTSUP);
            assertEquals(before, SparseImages.allocatedBytes(shm));
            await(device.writeZeroes(2 * MIB, MIB, false, BlockDevice.ZERO_FAST));
            assertEquals(before - MIB, SparseImages.allocatedBytes(shm), "punched, fast");
            await(device.cache(0, 8 * MIB));
        }
    }
}
