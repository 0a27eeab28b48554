package io.mirrorgate.bench;

import io.mirrorgate.bench.loopback.Images;
import io.mirrorgate.bench.loopback.LoopbackMirror;
import io.mirrorgate.replicator.mirror.MirrorDevice;
import io.mirrorgate.replicator.resync.ResyncProgress;
import io.mirrorgate.replicator.resource.ResourceOptions;
import io.mirrorgate.replicator.resource.ResourceStatus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The Mirrorgate half of {@code bench/resync-vs-rsync.sh}, in two runs of the JVM so that page
 * caches can be dropped in between and the bitmap is read back from disk:
 *
 * <ul>
 *   <li>{@code prepare}: creates the metadata, lets the product make the standby identical to the
 *       primary (its full initial sync over a ggate connection on 127.0.0.1), stops the standby's
 *       server (the peer is gone), then overwrites whole random regions (at least the given
 *       percent of them) with new random data through the degraded mirror, as an application
 *       would while the peer is away; those regions become owed in the persisted bitmap. With
 *       {@code --scattered-writes N}, N random 4 KiB blocks at distinct places instead (their
 *       blocks are owed; the clean close keeps that in the fine map).</li>
 *   <li>{@code resync}: opens the same metadata, starts the standby's server again, connects and
 *       starts the resource runtime, which decides (local wrote while apart: owed regions local
 *       to peer) and resyncs; times it until the replicas are recorded in sync, from the runtime's
 *       start and from the standby's restart.</li>
 * </ul>
 *
 * Results are printed as {@code key=value} lines on stdout; logs go to stderr.
 */
@Command(name = "resync-run", mixinStandardHelpOptions = true,
        subcommands = {ResyncRun.Prepare.class, ResyncRun.Resync.class},
        description = "Mirrorgate side of the resync-vs-rsync comparison.")
public final class ResyncRun {
    private static final Duration MAX_SYNC = Duration.ofMinutes(10);
    private static final int BLOCK = 4096;

    /** The files both subcommands use. */
    static class ResourceFiles {
        @Option(names = "--primary", required = true, description = "primary image")
        Path primary;
        @Option(names = "--standby", required = true, description = "standby image (>= primary)")
        Path standby;
        @Option(names = "--metadata", required = true, description = "the primary's metadata file")
        Path metadata;
        @Option(names = "--state-dir", required = true, description = "the standby server's state")
        Path stateDirectory;

        /** Opens the resource; {@code fresh}: the metadata must not exist yet (else: must exist). */
        LoopbackMirror open(long regionSize, boolean fresh) throws InterruptedException {
            if (Files.exists(metadata) == fresh) {
                throw new IllegalStateException("metadata " + metadata + (fresh
                        ? " exists (expected: a fresh directory for prepare)"
                        : " does not exist (expected: made by prepare)"));
            }
            return LoopbackMirror.open(new LoopbackMirror.Layout(primary, standby, metadata,
                    stateDirectory), ResourceOptions.defaults("resync-bench"), regionSize, 64);
        }
    }

    @Command(name = "prepare", description = "Initial sync, then dirty regions while the peer is away.")
    static final class Prepare implements Callable<Integer> {
        @CommandLine.Mixin
        ResourceFiles files;
        @Option(names = "--region-size", defaultValue = "1048576", description = "bitmap region bytes")
        long regionSize;
        @Option(names = "--dirty-percent", defaultValue = "1", description = "percent of regions to rewrite")
        double percent;
        @Option(names = "--seed", defaultValue = "7")
        long seed;
        @Option(names = "--scattered-writes", defaultValue = "0",
                description = "write this many random 4 KiB blocks instead of whole regions")
        int scatteredWrites;

        @Override
        public Integer call() throws Exception {
            try (LoopbackMirror mirror = files.open(regionSize, true)) {
                long start = System.nanoTime();
                mirror.start();
                mirror.awaitSyncs(1, MAX_SYNC);
                print("initial_sync_seconds", seconds(start));
                print("initial_sync_bytes", mirror.runtime().progress().bytesDone());

                mirror.standby().stopServing();
                mirror.awaitState(ResourceStatus.State.DISCONNECTED, Duration.ofSeconds(30));
                if (scatteredWrites > 0) {
                    scatter(mirror);
                    return 0;
                }
                BitSet regions = pick(mirror.dirty().regionCount());
                long bytes = rewrite(mirror.device(), regions, regionSize);
                long owed = mirror.dirty().owedCount();
                if (owed != regions.cardinality()) {
                    throw new IllegalStateException("owed regions " + owed + " after rewriting "
                            + regions.cardinality() + " (expected: equal)");
                }
                print("regions_total", mirror.dirty().regionCount());
                print("dirty_regions", regions.cardinality());
                print("dirty_bytes", bytes);
                print("owed_regions", owed);
                print("local_generation", mirror.dirty().metadata().generations().local());
            }
            return 0;
        }

        /** Writes {@link #scatteredWrites} random 4 KiB blocks at distinct random places, then flushes. */
        private void scatter(LoopbackMirror mirror) throws Exception {
            MirrorDevice device = mirror.device();
            long blocks = device.size() / BLOCK;
            if (scatteredWrites > blocks) {
                throw new IllegalArgumentException("--scattered-writes " + scatteredWrites
                        + " (expected: at most the volume's " + blocks + " blocks of 4 KiB)");
            }
            SplittableRandom random = new SplittableRandom(seed);
            java.util.TreeSet<Long> picked = new java.util.TreeSet<>();
            while (picked.size() < scatteredWrites) {
                picked.add(random.nextLong(blocks));
            }
            ByteBuffer nio = ByteBuffer.allocateDirect(BLOCK);
            ByteBuf data = Unpooled.directBuffer(BLOCK, BLOCK);
            try {
                for (long block : picked) {
                    Images.fill(nio, random);
                    data.clear().writeBytes(nio);
                    device.write(block * BLOCK, data, false).get(1, TimeUnit.MINUTES);
                }
                device.flush().get(1, TimeUnit.MINUTES);
            } finally {
                data.release();
            }
            long bytes = (long) picked.size() * BLOCK;
            long owedBytes = mirror.dirty().owedBytes();
            if (owedBytes != bytes) {
                throw new IllegalStateException("owed bytes " + owedBytes + " after " + picked.size()
                        + " scattered 4 KiB writes (expected: " + bytes + ")");
            }
            print("regions_total", mirror.dirty().regionCount());
            print("scattered_writes", picked.size());
            print("dirty_bytes", bytes);
            print("owed_regions", mirror.dirty().owedCount());
            print("owed_bytes", owedBytes);
            print("local_generation", mirror.dirty().metadata().generations().local());
        }

        private BitSet pick(long regionCount) {
            int count = (int) Math.ceil(regionCount * percent / 100.0);
            SplittableRandom random = new SplittableRandom(seed);
            BitSet picked = new BitSet();
            while (picked.cardinality() < count) {
                picked.set((int) random.nextLong(regionCount));
            }
            return picked;
        }

        /** Overwrites each region with new random data through the (degraded) mirror, then flushes. */
        private long rewrite(MirrorDevice device, BitSet regions, long regionSize) throws Exception {
            int chunk = (int) Math.min(regionSize, 1 << 20);
            SplittableRandom random = new SplittableRandom(seed + 1);
            ByteBuffer nio = ByteBuffer.allocateDirect(chunk);
            ByteBuf data = Unpooled.directBuffer(chunk, chunk);
            long bytes = 0;
            try {
                for (int r = regions.nextSetBit(0); r >= 0; r = regions.nextSetBit(r + 1)) {
                    long end = Math.min((r + 1) * regionSize, device.size());
                    for (long pos = r * regionSize; pos < end; pos += chunk) {
                        Images.fill(nio, random);
                        data.clear().writeBytes(nio);
                        device.write(pos, data, false).get(1, TimeUnit.MINUTES);
                        bytes += chunk;
                    }
                }
                device.flush().get(1, TimeUnit.MINUTES);
            } finally {
                data.release();
            }
            return bytes;
        }
    }

    @Command(name = "resync", description = "Reconnect the standby and time the resync of the owed regions.")
    static final class Resync implements Callable<Integer> {
        @CommandLine.Mixin
        ResourceFiles files;
        @Option(names = "--standby-restart", description = "time from the standby listening again to the"
                + " replicas in sync, the primary's runtime running degraded meanwhile")
        boolean standbyRestart;

        @Override
        public Integer call() throws Exception {
            long openStart = System.nanoTime(); // open starts the standby's server again
            try (LoopbackMirror mirror = files.open(1 << 20, false)) {
                print("owed_regions_before", mirror.dirty().owedCount());
                print("owed_bytes_before", mirror.dirty().owedBytes());
                print("region_size", mirror.dirty().regionSize());
                if (standbyRestart) {
                    awayThenBack(mirror);
                }
                long start = System.nanoTime();
                if (!standbyRestart) {
                    mirror.start();
                }
                mirror.awaitSyncs(1, MAX_SYNC);
                double seconds = seconds(start);
                ResourceStatus status = mirror.runtime().status();
                ResyncProgress progress = status.resync();
                print("decision", status.lastDecision());
                print("resync_seconds", seconds);
                print(standbyRestart ? "standby_restart_to_in_sync_seconds" : "open_to_in_sync_seconds",
                        standbyRestart ? seconds : seconds(openStart));
                print("jvm_start_to_in_sync_seconds", (System.currentTimeMillis()
                        - ManagementFactory.getRuntimeMXBean().getStartTime()) / 1000.0);
                print("bytes_copied", progress.bytesDone());
                print("regions_copied", progress.regionsCopied());
                print("standby_bytes_written", mirror.standby().device().stats().bytesWritten());
                print("owed_regions_after", mirror.dirty().owedCount());
                mirror.device().flush().get(1, TimeUnit.MINUTES);
            }
            return 0;
        }
    }

    /**
     * The standby goes away again while the primary's runtime starts (degraded, as a running
     * primary whose standby is down); after a second (the link's backoff at its longest) the
     * standby listens again. Returns when it was told to; the caller times from there.
     */
    private static void awayThenBack(LoopbackMirror mirror) throws InterruptedException {
        mirror.standby().stopServing();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (mirror.link().isConnected()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the peer link still connected 30 s after the standby stopped");
            }
            TimeUnit.MILLISECONDS.sleep(5);
        }
        mirror.start();
        mirror.awaitState(ResourceStatus.State.DISCONNECTED, Duration.ofSeconds(30));
        TimeUnit.SECONDS.sleep(1);
        mirror.standby().startServing();
    }

    static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    static void print(String key, Object value) {
        System.out.println(key + "=" + value);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ResyncRun()).execute(args));
    }
}
