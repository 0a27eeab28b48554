package io.mirrorgate.client.endtoend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mirrorgate.server.nbdclient.NbdClient;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.GgateServerProcess;
import io.mirrorgate.server.testing.ProcessGroup;
import io.mirrorgate.server.testing.TestData;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data written through the whole chain — NBD client, {@code ggate-client attach} process, ggate
 * protocol, {@code ggate-server} process — reads back identically and lands in the exported image
 * file, byte for byte.
 */
@EndToEnd
class AttachDataEndToEndTest {
    private static final long MIB = 1024 * 1024;

    @RegisterExtension
    final ProcessGroup processes = new ProcessGroup();
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void randomWritesZeroesAndTrimsThroughTheAttachedDiskReadBackAndLandInTheImageFile() throws Exception {
        long size = 256 * MIB;
        Path image = TestData.sparseFile(dir.resolve("disk.img"), size);
        GgateServerProcess server = GgateServerProcess.start(processes, dir,
                List.of("127.0.0.1 RW " + image));
        AttachProcess attach = AttachProcess.start(processes, dir, "attach", dir.resolve("run"),
                server.keyFile(), server.ggateAddress(), image.toString());

        byte[] model = new byte[(int) size];
        Random random = new Random(42);
        long[] offsets = new long[300];
        int[] lengths = new int[offsets.length];
        try (NbdClient nbd = attach.connect()) {
            assertEquals(size, nbd.size());
            for (int i = 0; i < offsets.length; i++) {
                lengths[i] = (1 + random.nextInt(64)) * 4096;
                offsets[i] = (long) random.nextInt((int) ((size - lengths[i]) / 512)) * 512;
                byte[] data = TestData.randomBytes(i, lengths[i]);
                nbd.write(offsets[i], data, i % 10 == 0);
                System.arraycopy(data, 0, model, (int) offsets[i], data.length);
            }
            // write-zeroes and trim (a punched hole in the image file) go through the chain too
            nbd.writeZeroes(3 * MIB, (int) MIB);
            Arrays.fill(model, (int) (3 * MIB), (int) (4 * MIB), (byte) 0);
            nbd.trim(100 * MIB, (int) (2 * MIB));
            Arrays.fill(model, (int) (100 * MIB), (int) (102 * MIB), (byte) 0);
            nbd.flush();
            assertArrayEquals(new byte[(int) MIB], nbd.read(3 * MIB, (int) MIB), "zeroed range");
            assertArrayEquals(new byte[(int) (2 * MIB)], nbd.read(100 * MIB, (int) (2 * MIB)),
                    "trimmed range");
            for (int i = 0; i < offsets.length; i++) {
                assertArrayEquals(Arrays.copyOfRange(model, (int) offsets[i],
                        (int) offsets[i] + lengths[i]), nbd.read(offsets[i], lengths[i]),
                        "read back at offset " + offsets[i]);
            }
        }
        assertEquals(TestData.sha256(model), TestData.sha256(image),
                "the image file holds exactly what was written");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void writesPastFourGibLandAtTheirOffsetsInAFiveGibSparseImage() throws Exception {
        long size = 5L * 1024 * MIB;
        Path image = TestData.sparseFile(dir.resolve("big.img"), size);
        GgateServerProcess server = GgateServerProcess.start(processes, dir,
                List.of("127.0.0.1 RW " + image));
        AttachProcess attach = AttachProcess.start(processes, dir, "attach", dir.resolve("run"),
                server.keyFile(), server.ggateAddress(), image.toString());

        long fourGib = 4L * 1024 * MIB;
        // non-overlapping: one straddles 4 GiB, one ends the image, one sits below 4 GiB
        long[] offsets = {fourGib - 32 * 1024, fourGib + MIB, fourGib + 2 * MIB + 512,
            fourGib + 123 * MIB + 4096, size - 64 * 1024, 0, 2L * 1024 * MIB + 512};
        int length = 64 * 1024;
        try (NbdClient nbd = attach.connect()) {
            assertEquals(size, nbd.size());
            for (int i = 0; i < offsets.length; i++) {
                nbd.write(offsets[i], TestData.randomBytes(500 + i, length), false);
            }
            nbd.flush();
            for (int i = 0; i < offsets.length; i++) {
                byte[] expected = TestData.randomBytes(500 + i, length);
                assertArrayEquals(expected, nbd.read(offsets[i], length), "read at " + offsets[i]);
                assertEquals(TestData.sha256(expected), TestData.sha256(image, offsets[i], length),
                        "image file at offset " + offsets[i]);
            }
            assertArrayEquals(new byte[4096], nbd.read(fourGib + 64 * MIB, 4096),
                    "a range never written reads as zeroes");
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aWriteAndAReadOfThirtyTwoMibPassTheWholeChainInOneRequest() throws Exception {
        long size = 64 * MIB;
        Path image = TestData.sparseFile(dir.resolve("disk.img"), size);
        GgateServerProcess server = GgateServerProcess.start(processes, dir,
                List.of("127.0.0.1 RW " + image));
        AttachProcess attach = AttachProcess.start(processes, dir, "attach", dir.resolve("run"),
                server.keyFile(), server.ggateAddress(), image.toString());
        int length = (int) (32 * MIB);
        byte[] data = TestData.randomBytes(7, length);
        try (NbdClient nbd = attach.connect()) {
            nbd.write(MIB + 512, data, true);
            assertArrayEquals(data, nbd.read(MIB + 512, length));
        }
        assertEquals(TestData.sha256(data), TestData.sha256(image, MIB + 512, length));
    }
}
