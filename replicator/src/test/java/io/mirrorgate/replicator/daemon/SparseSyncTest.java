package io.mirrorgate.replicator.daemon;

import static io.mirrorgate.server.testing.Futures.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.replicator.testing.MirrorPair;
import io.mirrorgate.server.device.Extent;
import io.mirrorgate.server.device.LocalBlockDevice;
import io.mirrorgate.server.device.LocalDeviceOptions;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.ExternalTools;
import io.mirrorgate.server.testing.NbdMaps;
import io.mirrorgate.server.testing.SparseImages;
import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.ByteBuf;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sparse volume: the initial sync to a blank standby sends only the data and leaves the
 * standby as sparse as the primary, and the mirrored volume's NBD endpoint shows the same maps
 * as nbdkit on the primary's image.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@EndToEnd
class SparseSyncTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;
    private MirrorPair pair;

    @AfterEach
    void stop() {
        if (pair != null) {
            pair.close();
        }
    }

    /** Starts a pair whose primary image holds {@code runs} runs of 1 MiB of data; in sync. */
    private void startWithData(long size, int runs) throws Exception {
        startWithData(size, runs, "unlimited");
    }

    private void startWithData(long size, int runs, String rate) throws Exception {
        pair = MirrorPair.builder(dir).size(size).regionSize("1MiB").resyncRate(rate)
                .startPrimary(false).start();
        try (FileChannel ch = FileChannel.open(pair.primaryImage(), StandardOpenOption.WRITE)) {
            for (int i = 0; i < runs; i++) {
                ch.write(ByteBuffer.wrap(TestData.randomBytes(i, (int) MIB)),
                        SparseImages.runOffset(size, runs, i));
            }
        }
        pair.startPrimary();
        pair.awaitInSync(Duration.ofMinutes(3));
    }

    @Test
    void initialSyncOfASparseImageSendsOnlyItsDataAndTheStandbyStaysSparse() throws Exception {
        long data = 64 * MIB;
        startWithData(4096 * MIB, 64);
        LocalBlockDevice standby = (LocalBlockDevice) pair.standby().registry()
                .resolve(pair.standbyImage().toString(), InetAddress.getLoopbackAddress()).device();
        long sent = standby.stats().bytesWrittenWithData();
        assertTrue(sent <= data * 11 / 10, "sent " + sent + " bytes of data for " + data);
        long primary = SparseImages.allocatedBytes(pair.primaryImage());
        long copy = SparseImages.allocatedBytes(pair.standbyImage());
        assertTrue(copy <= 2 * primary, "the standby occupies " + copy + " bytes, the primary "
                + primary);
        assertEquals(dataDigest(pair.primaryImage()), dataDigest(pair.standbyImage()));
    }

    @Test
    void theResyncRateCountsTheDataNotTheHoles() throws Exception {
        // 1 GiB at 64 MiB/s would take 16 s; its 16 MiB of data take a quarter of a second
        long start = System.nanoTime();
        startWithData(1024 * MIB, 16, "64MiB");
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        assertTrue(seconds < 8, "the initial sync took " + seconds + " s");
        assertEquals(dataDigest(pair.primaryImage()), dataDigest(pair.standbyImage()));
    }

    @Test
    void theMirroredVolumeShowsTheSameMapsAsNbdkitOnThePrimaryImage() throws Exception {
        ExternalTools.require("nbdkit");
        startWithData(256 * MIB, 8);
        NbdMaps.assertSameMapsAsNbdkit("nbd://127.0.0.1:" + pair.nbdPort() + "/"
                + MirrorPair.RESOURCE, pair.primaryImage());
    }

    /**
     * The allocation map of {@code image} and the SHA-256 of its data extents: equal for two
     * files of one size exactly when they are identical and equally sparse, without reading
     * gigabytes of holes.
     */
    private static String dataDigest(Path image) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        List<Extent> map = new ArrayList<>();
        try (LocalBlockDevice device = LocalBlockDevice.open(image,
                LocalDeviceOptions.defaults().withReadOnly(true))) {
            long pos = 0;
            while (pos < device.size()) {
                List<Extent> part = await(device.extents(pos, device.size() - pos));
                map.addAll(part);
                pos = part.get(part.size() - 1).end();
            }
            for (Extent e : map) {
                digest.update((e.offset() + ":" + e.length() + ":" + e.allocation() + ";").getBytes());
                for (long p = e.offset(); e.allocation() == Extent.Allocation.DATA && p < e.end(); p += MIB) {
                    ByteBuf buf = await(device.read(p, (int) Math.min(MIB, e.end() - p)));
                    try {
                        digest.update(buf.nioBuffer());
                    } finally {
                        buf.release();
                    }
                }
            }
        }
        return map.size() + " extents " + HexFormat.of().formatHex(digest.digest());
    }
}
