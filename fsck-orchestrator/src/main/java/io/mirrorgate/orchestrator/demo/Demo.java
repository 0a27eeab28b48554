package io.mirrorgate.orchestrator.demo;

import io.mirrorgate.server.nbdclient.NbdClient;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * The demo behind the README's first command: a whole Mirrorgate story on this one machine,
 * with the real programs from {@code bin/} as separate processes on loopback.
 *
 * <ol>
 *   <li>export and attach: a ggate-server exports an image, {@code ggate-client attach} serves it
 *       on a local NBD endpoint, data is written through it and verified in the image;</li>
 *   <li>the mirror: the same server is the standby, a replicator on the primary mirrors a volume
 *       to it; data is written through the mirror's NBD export;</li>
 *   <li>a peer failure: the standby's server is killed (SIGKILL), writing goes on (degraded);</li>
 *   <li>resync: the standby's server comes back, the replicator resyncs the dirty regions only,
 *       {@code replicator status --watch} shows the progress to 100%;</li>
 *   <li>proof: both images are compared by SHA-256.</li>
 * </ol>
 */
public final class Demo {
    private static final long VOLUME = 256L << 20;
    private static final int BLOCK = 1 << 20;

    private final PrintStream out = System.out;
    private final DemoCluster cluster;
    private final Random random = new Random(42);

    private Demo(DemoCluster cluster) {
        this.cluster = cluster;
    }

    public static void main(String[] args) throws Exception {
        Path home = Path.of(args.length > 0 ? args[0] : System.getProperty("user.dir"));
        Path work = args.length > 1 ? Path.of(args[1])
                : Files.createTempDirectory("mirrorgate-demo-");
        int code;
        try (DemoCluster cluster = new DemoCluster(home, work)) {
            code = new Demo(cluster).run();
        }
        System.exit(code);
    }

    private int run() throws Exception {
        Path work = cluster.work();
        step("Work directory " + work + " (logs of every program in " + cluster.log() + ")");
        Path scratch = sparseImage("scratch.img");
        Path standbyImage = sparseImage("standby.img");
        Path primaryImage = sparseImage("primary.img");
        Path exports = work.resolve("exports");
        Files.writeString(exports, "# host          access  path\n"
                + "127.0.0.1/32      RW      " + scratch + "\n"
                + "127.0.0.1/32      RW      " + standbyImage + "\n");

        int ggatePort = DemoCluster.freePort();
        ChildProcess standby = startStandby(exports, ggatePort);

        step("1. Export and attach: ggate-client attach 127.0.0.1:" + ggatePort + " " + scratch);
        ChildProcess attach = cluster.start("ggate-client", cluster.command("ggate-client",
                "--run-dir", work.resolve("run").toString(), "attach", "-k",
                cluster.keyFile().toString(), "127.0.0.1:" + ggatePort, scratch.toString()));
        String uri = attach.nextLine(60);
        say("attached, local NBD endpoint: " + uri);
        writeAndVerify(uri, scratch, 32);
        say(cluster.run(cluster.command("ggate-client", "--run-dir", work.resolve("run").toString(),
                "list")).stripTrailing());
        cluster.run(cluster.command("ggate-client", "--run-dir", work.resolve("run").toString(),
                "detach", "ggate0"));
        say("detached ggate0");

        step("2. The mirror: replicator on the primary, the ggate-server above as standby");
        Path config = work.resolve("replicator.toml");
        Files.writeString(config, String.join("\n",
                "node = \"primary\"",
                "control = \"" + work.resolve("replicator.sock") + "\"",
                "metrics = \"off\"",
                "[resource.r0]",
                "local = \"" + primaryImage + "\"",
                "role = \"primary\"",
                "remote = \"127.0.0.1:" + ggatePort + "\"",
                "remote_path = \"" + standbyImage + "\"",
                "key_file = \"" + cluster.keyFile() + "\"",
                "mode = \"fullsync\"",
                "region_size = \"1MiB\"",
                "resync_rate = \"48MiB\"",
                "nbd_listen = \"127.0.0.1:0\"",
                ""));
        say(cluster.run(cluster.command("replicator", "-c", config.toString(), "create", "r0"))
                .stripTrailing());
        ChildProcess replicator = cluster.start("replicator",
                cluster.command("replicator", "-c", config.toString(), "run"));
        String ready = replicator.nextLine(60);
        say(ready);
        String mirror = "nbd://" + field(ready, "nbd") + "/r0";
        watch(config, "initial full sync of the new resource");
        writeMirror(mirror, 48);
        compare(primaryImage, standbyImage, "after steady writing");

        step("3. Peer failure: kill -9 the standby's ggate-server (pid " + standby.pid()
                + "), keep writing");
        standby.kill();
        writeMirror(mirror, 24);
        say(cluster.run(cluster.command("replicator", "-c", config.toString(), "status"))
                .stripTrailing());

        step("4. The standby comes back: resync copies only the dirty regions");
        standby = startStandby(exports, ggatePort);
        watch(config, "resync");
        compare(primaryImage, standbyImage, "after resync");

        step("Done. Both replicas are identical; every program is stopped with SIGTERM.");
        return 0;
    }

    private ChildProcess startStandby(Path exports, int port) throws Exception {
        ChildProcess server = cluster.start("ggate-server", cluster.command("ggate-server",
                "-e", exports.toString(), "-k", cluster.keyFile().toString(),
                "-l", "127.0.0.1:" + port, "--nbd-listen", "off",
                "--state-dir", cluster.work().resolve("standby-state").toString()));
        say(server.nextLine(60));
        return server;
    }

    private void watch(Path config, String what) throws Exception {
        say("replicator status --watch (" + what + "):");
        ProcessBuilder builder = new ProcessBuilder(cluster.command("replicator", "-c",
                config.toString(), "status", "r0", "--watch", "--interval", "0.5"));
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
        String a = Checksums.sha256(primary);
        String b = Checksums.sha256(standby);
        say(String.format("SHA-256 %s:%n    primary %s%n    standby %s%n    %s", when, a, b,
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

    private byte[] randomBlock() {
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

    private void step(String text) {
        out.println();
        out.println("== " + text);
    }

    private void say(String text) {
        out.println("   " + text.replace("\n", "\n   "));
    }
}
