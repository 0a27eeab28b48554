package io.mirrorgate.client.remote;

import static io.mirrorgate.server.testing.Futures.await;
import static io.mirrorgate.server.testing.Futures.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.server.device.Extent;
import io.mirrorgate.server.device.LocalBlockDevice;
import io.mirrorgate.server.device.LocalDeviceOptions;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.protocol.GgateProtocol;
import io.mirrorgate.server.testing.SparseImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * BLOCK_STATUS and the write-zeroes flags over ggate, negotiated as FEATURE_ALLOCATION: a new
 * server answers with its file's holes, an older one (the feature not granted) still works and
 * the device then says "all data".
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RemoteBlockDeviceAllocationTest {
    private static final long MIB = 1 << 20;
    private static final long SIZE = 64 * MIB;

    @TempDir
    Path dir;
    private RemoteFixture fixture;
    private Path image;

    @AfterEach
    void close() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }

    private RemoteBlockDevice attach(int serverFeatures) throws Exception {
        image = SparseImages.create(dir.resolve("disk.img"), SIZE, 4, (int) MIB);
        Files.createDirectories(dir.resolve("state"));
        fixture = new RemoteFixture(dir.resolve("state"), serverFeatures);
        fixture.export("/disk", LocalBlockDevice.open(image, LocalDeviceOptions.defaults()), Access.RW);
        return fixture.connect(fixture.options("/disk").build());
    }

    @Test
    void extentsComeFromTheServersFileAndZeroFlagsReachIt() throws Exception {
        RemoteBlockDevice device = attach(GgateProtocol.SUPPORTED_FEATURES);
        assertTrue(device.allocationSupported());
        List<Extent> extents = await(device.extents(0, SIZE));
        assertEquals(8, extents.size(), extents.toString());
        assertEquals(new Extent(0, MIB, Extent.Allocation.DATA), extents.get(0));
        assertEquals(new Extent(MIB, 15 * MIB, Extent.Allocation.HOLE), extents.get(1));
        assertEquals(new Extent(49 * MIB, 15 * MIB, Extent.Allocation.HOLE), extents.get(7));

        long allocated = SparseImages.allocatedBytes(image);
        await(device.writeZeroes(16 * MIB, MIB, true, BlockDevice.ZERO_NO_HOLE));
        assertEquals(allocated, SparseImages.allocatedBytes(image), "NO_HOLE kept it allocated");
        await(device.writeZeroes(32 * MIB, MIB, true, BlockDevice.ZERO_FAST));
        assertEquals(allocated - MIB, SparseImages.allocatedBytes(image), "punched");
        failure(device.extents(0, 0), ErrorCode.EINVAL);
    }

    @Test
    void anOlderServerStillWorksAndEverythingIsData() throws Exception {
        RemoteBlockDevice device = attach(GgateProtocol.FEATURE_LZ4 | GgateProtocol.FEATURE_PEER);
        assertFalse(device.allocationSupported());
        assertEquals(List.of(new Extent(0, SIZE, Extent.Allocation.DATA)),
                await(device.extents(0, SIZE)));
        long allocated = SparseImages.allocatedBytes(image);
        await(device.writeZeroes(16 * MIB, MIB, true, BlockDevice.ZERO_NO_HOLE));
        assertEquals(allocated, SparseImages.allocatedBytes(image), "zeroes written, not punched");
        failure(device.writeZeroes(0, MIB, false,
                BlockDevice.ZERO_FAST), ErrorCode.ENOTSUP);
        await(device.writeZeroes(32 * MIB, MIB, true));
        assertTrue(SparseImages.allocatedBytes(image) <= allocated);
    }
}
