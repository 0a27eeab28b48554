package io.mirrorgate.bench.loopback;

import io.mirrorgate.replicator.resource.ResourceOptions;
import io.mirrorgate.replicator.resource.ResourceStatus;
import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.server.device.LocalBlockDevice;
import io.mirrorgate.server.device.LocalDeviceOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What a write benchmark writes to: the local device alone ({@code local}: its own image) or the
 * fullsync mirror ({@code mirror}: primary image + metadata + standby image behind a ggate server
 * on 127.0.0.1), all images in one directory on a disk filesystem, preallocated with random data.
 * The mirror's pair is brought in sync by the product (a full initial sync the first time the
 * directory is used, an owed-regions resync after that) before the target is handed out.
 */
public final class WriteTarget implements AutoCloseable {
    /** 4 MiB regions and 64 activity regions: the product defaults (ResourceConfig). */
    public static final long REGION_SIZE = 4L << 20;
    public static final int ACTIVITY_REGIONS = 64;

    private final BlockDevice device;
    private final LoopbackMirror mirror;

    private WriteTarget(BlockDevice device, LoopbackMirror mirror) {
        this.device = device;
        this.mirror = mirror;
    }

    /** The benchmark directory: {@code -Dmirrorgate.bench.dir}, {@code $MIRRORGATE_BENCH_DIR}, or /var/tmp. */
    public static Path directory() {
        String dir = System.getProperty("mirrorgate.bench.dir", System.getenv("MIRRORGATE_BENCH_DIR"));
        return Path.of(dir != null ? dir : "/var/tmp/mirrorgate-bench");
    }

    /** Opens {@code kind} ({@code local} or {@code mirror}) on images of {@code imageSize} bytes. */
    public static WriteTarget open(String kind, long imageSize) throws IOException, InterruptedException {
        Path dir = directory();
        Images.requireRealFilesystem(dir);
        Path localImage = dir.resolve("local.img");
        LoopbackMirror.Layout layout = new LoopbackMirror.Layout(dir.resolve("primary.img"),
                dir.resolve("standby.img"), dir.resolve("primary.mgmeta"), dir.resolve("standby-state"));
        if (!Images.hasSize(localImage, imageSize) || !Images.hasSize(layout.primary(), imageSize)
                || !Images.hasSize(layout.standby(), imageSize)) {
            Images.writeRandom(localImage, imageSize, 1);
            Images.writeRandom(layout.primary(), imageSize, 2);
            Images.writeRandom(layout.standby(), imageSize, 3);
            Files.deleteIfExists(layout.metadata());
            deleteTree(layout.stateDirectory());
        }
        switch (kind) {
            case "local":
                return new WriteTarget(LocalBlockDevice.open(localImage, LocalDeviceOptions.defaults()), null);
            case "mirror":
                LoopbackMirror mirror = LoopbackMirror.open(layout, ResourceOptions.defaults("bench"),
                        REGION_SIZE, ACTIVITY_REGIONS);
                try {
                    mirror.start();
                    mirror.awaitSyncs(1, Duration.ofMinutes(10));
                    mirror.awaitState(ResourceStatus.State.CONNECTED, Duration.ofMinutes(1));
                } catch (InterruptedException | RuntimeException e) {
                    mirror.close();
                    throw e;
                }
                return new WriteTarget(mirror.device(), mirror);
            default:
                throw new IllegalArgumentException("target: " + kind + " (expected: local or mirror)");
        }
    }

    public BlockDevice device() {
        return device;
    }

    /** The mirror, or null for the local target. */
    public LoopbackMirror mirror() {
        return mirror;
    }

    /** Flushes (so the mirror's bitmap can unmark what both sides hold) and closes. */
    @Override
    public void close() throws Exception {
        try {
            device.flush().get(2, TimeUnit.MINUTES);
        } finally {
            if (mirror != null) {
                mirror.close();
            } else {
                device.close();
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
