package io.mirrorgate.orchestrator.demo;

import io.mirrorgate.server.nbdclient.NbdClient;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The demo behind the README's first command: a whole Mirrorgate story on this one machine,
 * with the real programs as separate processes on loopback, told chapter by chapter. Each
 * chapter is one method that {@link #run} calls in order and that leaves the cluster in the
 * state the next one starts from (fields below); a new chapter is a new method and one more
 * line in {@link #run}.
 *
 * <ol>
 *   <li>{@link #exportAndAttach}: a ggate-server exports two images, {@code ggate-client attach}
 *       serves one on a local NBD endpoint, data is written through it and found in the image;</li>
 *   <li>{@link #mirror}: a replicator mirrors a primary image to the other export (the standby),
 *       {@code replicator status --watch} shows the initial sync, data is written, the replicas
 *       are compared;</li>
 *   <li>{@link #peerFailure}: the standby's server is killed (SIGKILL), writing goes on
 *       (degraded), {@code replicator status} shows what the standby is owed;</li>
 *   <li>{@link #resync}: the standby comes back, the replicator copies only the dirty regions,
 *       rate-limited, {@code status --watch} shows the progress to 100%, the replicas are
 *       compared by SHA-256;</li>
 *   <li>5 and 6, in {@link FailoverChapters}: two nodes with a replicator and an fsck-orchestrator
 *       each; the primary is killed, the standby takes over by itself and serves the files of the
 *       volume's filesystem; the old primary rejoins as secondary and gets only what differs;</li>
 *   <li>{@link #conclusion}: where the files are and how much room they take.</li>
 * </ol>
 *
 * <p>Usage: {@code Demo [--launch=bin|classpath] HOME [WORKDIR]}; {@code bin} (the default) runs
 * the programs from {@code HOME/bin}, {@code classpath} from this JVM's class path (for the
 * test that runs the demo in the build).
 */
public final class Demo {
    private static final long VOLUME = 256L << 20;
    private static final int BLOCK = 1 << 20;
    /**
     * The demo's resync rate: slow enough that the progress can be watched, also by a {@code status
     * --watch} whose JVM takes a second or two to start on a busy machine.
     */
    static final String RESYNC_RATE = "32MiB";
    /** {@link #RESYNC_RATE} in MiB per second. */
    static final int RESYNC_MIB_PER_SECOND = 32;
    /**
     * Blocks the primary image holds before the mirror starts: the initial sync copies only data
     * (holes are skipped), about 3 s of it at {@link #RESYNC_RATE}.
     */
    static final int INITIAL_BLOCKS = 96;
    /** Blocks written while the standby is down: about 4 s of resync at {@link #RESYNC_RATE}. */
    static final int DEGRADED_BLOCKS = 128;

    private final PrintStream out = System.out;
    private final DemoCluster cluster;
    private final Random random = new Random(42);

    // the cluster as the chapters leave it
    private Path exports;
    private int ggatePort;
    private ChildProcess standby;
    private Path standbyImage;
    private Path primaryImage;
    private Path config;
    private String mirrorUri;

    private Demo(DemoCluster cluster) {
        this.cluster = cluster;
    }

    public static void main(String[] args) throws Exception {
        List<String> rest = new ArrayList<>(List.of(args));
        String launch = "bin";
        if (!rest.isEmpty() && rest.get(0).startsWith("--launch=")) {
            launch = rest.remove(0).substring("--launch=".length());
        }
        Path home = Path.of(!rest.isEmpty() ? rest.get(0) : System.getProperty("user.dir"));
        Launcher launcher = switch (launch) {
            case "bin" -> Launcher.scripts(home);
            case "classpath" -> Launcher.classPath();
            default -> throw new IllegalArgumentException("--launch: " + launch + " (expected: bin or classpath)");
        };
        Path work = rest.size() > 1 ? Path.of(rest.get(1)) : Files.createTempDirectory("mirrorgate-demo-");
        int code;
        try (DemoCluster cluster = new DemoCluster(launcher, work)) {
            code = new Demo(cluster).run();
        }
        System.exit(code);
    }

    private int run() throws Exception {
        FailoverChapters.requireTools();
        step("Work directory " + cluster.work() + " (logs of every program in " + cluster.log() + ")");
        exportAndAttach();
        mirror();
        peerFailure();
        resync();
        FailoverChapters failover = new FailoverChapters(this, cluster);
        failover.failover();
        failover.rejoin();
        conclusion();
        return 0;
    }

    /** Chapter 1: export two images, attach one, write through it, find the data in the image. */
    private void exportAndAttach() throws Exception {
        Path work = cluster.work();
        Path scratch = sparseImage("scratch.img");
        standbyImage = sparseImage("standby.img");
        primaryImage = sparseImage("primary.img");
        exports = work.resolve("exports");
        Files.writeString(exports, "# host          access  path\n"
                + "127.0.0.1/32      RW      " + scratch + "\n"
                + "127.0.0.1/32      RW      " + standbyImage + "\n");
        ggatePort = DemoCluster.freePort();
        standby = startStandby(exports, ggatePort);

        step("1. Export and attach: ggate-client attach 127.0.0.1:" + ggatePort + " " + scratch);
        String runDir = work.resolve("run").toString();
        ChildProcess attach = cluster.start("ggate-client", cluster.command("ggate-client",
                "--run-dir", runDir, "attach", "-k", cluster.keyFile().toString(), "127.0.0.1:" + ggatePort,
                scratch.toString()));
        String uri = attach.nextLine(60);
        say("attached, local NBD endpoint: " + uri);
        writeAndVerify(uri, scratch, 32);
        say(cluster.run(cluster.command("ggate-client", "--run-dir", runDir, "list")).stripTrailing());
        say(cluster.run(cluster.command("ggate-client", "--run-dir", runDir, "detach", "ggate0")).stripTrailing());
    }

    /** Chapter 2: a replicator mirrors the primary image to the standby export. */
    private void mirror() throws Exception {
        step("2. The mirror: replicator on the primary, the ggate-server above as standby");
        try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(primaryImage.toFile(), "rw")) {
            for (long offset : randomOffsets(VOLUME, INITIAL_BLOCKS)) {
                file.seek(offset);
                file.write(randomBlock());
            }
        }
        say(primaryImage.getFileName() + " already holds " + INITIAL_BLOCKS + " MiB of data; the"
                + " initial sync copies that data and skips the holes");
        config = cluster.work().resolve("replicator.toml");
        Files.writeString(config, String.join("\n",
                "node = \"primary\"",
                "control = \"" + cluster.work().resolve("replicator.sock") + "\"",
                "metrics = \"off\"",
                "[resource.r0]",
                "local = \"" + primaryImage + "\"",
                "role = \"primary\"",
                "remote = \"127.0.0.1:" + ggatePort + "\"",
                "remote_path = \"" + standbyImage + "\"",
                "key_file = \"" + cluster.keyFile() + "\"",
                "mode = \"fullsync\"",
                "region_size = \"1MiB\"",
                "resync_rate = \"" + RESYNC_RATE + "\"",
                "nbd_listen = \"127.0.0.1:0\"",
                ""));
        say(cluster.run(cluster.command("replicator", "-c", config.toString(), "create", "r0"))
                .stripTrailing());
        ChildProcess replicator = cluster.start("replicator",
                cluster.command("replicator", "-c", config.toString(), "run"));
        String ready = replicator.nextLine(60);
        say(ready);
        mirrorUri = "nbd://" + field(ready, "nbd") + "/r0";
        watch("initial full sync of the new resource, at resync_rate = \"" + RESYNC_RATE + "\"", 0.5);
        writeMirror(mirrorUri, 48);
        compare(primaryImage, standbyImage, "after steady writing");
    }

    /** Chapter 3: the standby's server dies; writing goes on, and the standby is owed the writes. */
    private void peerFailure() throws Exception {
        step("3. Peer failure: kill -9 the standby's ggate-server (pid " + standby.pid()
                + "), keep writing");
        standby.kill();
        writeMirror(mirrorUri, DEGRADED_BLOCKS);
        say(cluster.run(cluster.command("replicator", "-c", config.toString(), "status"))
                .stripTrailing());
    }

    /** Chapter 4: the standby comes back and gets only what it missed. */
    private void resync() throws Exception {
        step("4. The standby comes back: resync copies only the dirty regions");
        standby = startStandby(exports, ggatePort);
        watch("resync, at resync_rate = \"" + RESYNC_RATE + "\"", 0.25);
        compare(primaryImage, standbyImage, "after resync");
    }

    /** The end: what was shown, and what is left on disk. */
    private void conclusion() throws Exception {
        step("Done. Both replicas are identical, in both pairs; every program is stopped with SIGTERM.");
        long apparent = 0;
        try (var files = Files.walk(cluster.work())) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                apparent += Files.size(f);
            }
        }
        String onDisk = diskUsage(cluster.work());
        say("The files stay in " + cluster.work() + ": three sparse images of " + (VOLUME >> 20)
                + " MiB and alpha's and beta's of " + (FailoverChapters.VOLUME >> 20) + " MiB, the key, the"
                + " configurations and demo.log; " + (apparent >> 20) + " MiB in size, " + onDisk
                + " on disk. Remove them with: rm -rf " + cluster.work());
    }

    /** What {@code du -sk} says the directory takes on disk, or "an unknown amount". */
    private static String diskUsage(Path dir) {
        try {
            Process du = new ProcessBuilder("du", "-sk", dir.toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String text = new String(du.getInputStream().readAllBytes()).strip();
            if (du.waitFor() == 0 && text.matches("\\d+\\s.*")) {
                return (Long.parseLong(text.split("\\s")[0]) >> 10) + " MiB";
            }
        } catch (IOException e) {
            // no du: say so below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "an unknown amount";
    }

    private ChildProcess startStandby(Path exports, int port) throws Exception {
        ChildProcess server = cluster.start("ggate-server", cluster.command("ggate-server",
                "-e", exports.toString(), "-k", cluster.keyFile().toString(),
                "-l", "127.0.0.1:" + port, "--nbd-listen", "off",
                "--state-dir", cluster.work().resolve("standby-state").toString()));
        say(server.nextLine(60));
        return server;
    }

    private void watch(String what, double interval) throws Exception {
        watch(config, what, interval);
    }

    /** {@code replicator -c CONFIG status r0 --watch}, its output shown as it comes. */
    void watch(Path config, String what, double interval) throws Exception {
        say("replicator status --watch (" + what + "):");
        out.flush();
        ProcessBuilder builder = new ProcessBuilder(cluster.command("replicator", "-c",
                config.toString(), "status", "r0", "--watch", "--interval", String.valueOf(interval)));
        builder.environment().put("MIRRORGATE_NO_BUILD", "1");
        builder.inheritIO();
        int code = builder.start().waitFor();
        if (code != 0) {
            throw new IOException("replicator status --watch exited with " + code);
        }
    }

    private void writeAndVerify(String uri, Path image, int blocks) throws IOException {
        URI parsed = URI.create(uri);
        byte[][] written = new byte[blocks][];
        try (NbdClient nbd = NbdClient.connect(parsed.getHost(), parsed.getPort(),
                parsed.getPath().substring(1))) {
            long[] offsets = randomOffsets(nbd.size(), blocks);
            for (int i = 0; i < blocks; i++) {
                written[i] = randomBlock();
                nbd.write(offsets[i], written[i], false);
            }
            nbd.flush();
            for (int i = 0; i < blocks; i++) {
                if (!java.util.Arrays.equals(nbd.read(offsets[i], BLOCK), written[i])) {
                    throw new IOException("read back through " + uri + " differs at " + offsets[i]);
                }
            }
            Checksums.verifyInFile(image, offsets, written);
        }
        say("wrote " + blocks + " random 1 MiB blocks at random offsets through " + uri
                + ", read them back, and found each one in " + image + " (SHA-256 equal)");
    }

    private void writeMirror(String uri, int blocks) throws IOException {
        URI parsed = URI.create(uri);
        try (NbdClient nbd = NbdClient.connect(parsed.getHost(), parsed.getPort(), "r0")) {
            for (long offset : randomOffsets(nbd.size(), blocks)) {
                nbd.write(offset, randomBlock(), false);
            }
            nbd.flush();
        }
        say("wrote " + blocks + " random 1 MiB blocks through the mirror " + uri + " and flushed");
    }

    private void compare(Path primary, Path standby, String when) throws IOException {
        compare(primary, standby, when, "primary", "standby");
    }

    /** Both images' SHA-256, shown; fails when they differ. */
    void compare(Path primary, Path standby, String when, String first, String second) throws IOException {
        String a = Checksums.sha256(primary);
        String b = Checksums.sha256(standby);
        say(String.format("SHA-256 %s:%n    %-7s %s%n    %-7s %s%n    %s", when, first, a, second, b,
                a.equals(b) ? "IDENTICAL" : "DIFFERENT"));
        if (!a.equals(b)) {
            throw new IOException("the replicas differ " + when);
        }
    }

    /** {@code count} distinct random 1 MiB-aligned offsets, so no block overwrites another. */
    private long[] randomOffsets(long size, int count) {
        java.util.List<Long> slots = new java.util.ArrayList<>();
        for (long slot = 0; slot < size / BLOCK; slot++) {
            slots.add(slot * BLOCK);
        }
        java.util.Collections.shuffle(slots, random);
        return slots.subList(0, count).stream().mapToLong(Long::longValue).toArray();
    }

    Random random() {
        return random;
    }

    byte[] randomBlock() {
        byte[] block = new byte[BLOCK];
        random.nextBytes(block);
        return block;
    }

    private Path sparseImage(String name) throws IOException {
        Path image = cluster.work().resolve(name);
        try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(VOLUME);
        }
        return image;
    }

    private static String field(String line, String key) {
        for (String part : line.split("\\s+")) {
            if (part.startsWith(key + "=")) {
                return part.substring(key.length() + 1);
            }
        }
        throw new IllegalStateException("no " + key + "= in: " + line);
    }

    void step(String text) {
        out.println();
        out.println("== " + text);
    }

    void say(String text) {
        out.println("   " + text.replace("\n", "\n   "));
    }
}
