package io.mirrorgate.server.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.server.device.LocalBlockDevice;
import io.mirrorgate.server.device.LocalDeviceOptions;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.SingleExportResolver;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.ExternalTools;
import io.mirrorgate.server.testing.NbdMaps;
import io.mirrorgate.server.testing.Processes;
import io.mirrorgate.server.testing.SparseImages;
import io.mirrorgate.server.testing.TestData;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real clients on a sparse file served by ggate-server's NBD: the same maps as nbdkit on the
 * same file, and an nbdcopy that reads only the data (counted by the device) and writes a
 * sparse, identical copy.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@EndToEnd
class NbdSparseToolsTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;
    private LocalBlockDevice device;
    private NbdServer server;

    private String serve(Path image) {
        device = LocalBlockDevice.open(image, LocalDeviceOptions.defaults());
        server = NbdServer.start(new SingleExportResolver("disk", device, Access.RW), "127.0.0.1", 0);
        return "nbd://127.0.0.1:" + server.port() + "/disk";
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (device != null) {
            device.close();
        }
    }

    @Test
    void nbdinfoAndQemuImgSeeTheSameMapAsThroughNbdkit() throws Exception {
        ExternalTools.require("nbdkit");
        Path image = SparseImages.create(dir.resolve("map.img"), 256 * MIB, 8, (int) MIB);
        String uri = serve(image);
        NbdMaps.assertSameMapsAsNbdkit(uri, image);
        String map = NbdMaps.nbdinfoMap(uri);
        assertTrue(map.contains("hole,zero"), map);
    }

    @Test
    void nbdcopyOfASparseGibReadsOnlyItsDataAndWritesASparseIdenticalCopy() throws Exception {
        String nbdcopy = ExternalTools.require("nbdcopy");
        long data = 16 * MIB;
        Path image = SparseImages.create(dir.resolve("big.img"), 1024 * MIB, 16, (int) MIB);
        String uri = serve(image);
        Path copy = dir.resolve("copy.img");
        Processes.run(Duration.ofSeconds(240), nbdcopy, uri, copy.toString()).assertSuccess();
        long read = device.stats().bytesRead();
        assertTrue(read <= data * 11 / 10, "read " + read + " bytes for " + data + " of data");
        assertEquals(TestData.sha256(image), TestData.sha256(copy));
        assertTrue(SparseImages.allocatedBytes(copy) <= 2 * data,
                "the copy occupies " + SparseImages.allocatedBytes(copy) + " bytes");
    }
}
