package io.mirrorgate.replicator.testing;

import io.mirrorgate.replicator.config.ReplicatorConfig;
import io.mirrorgate.replicator.resource.ResourceInitializer;
import io.mirrorgate.server.testing.TestData;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Two nodes that both run {@code replicator run} on 127.0.0.1, resource {@code r0}: node A
 * starts primary, node B secondary; each serves its replica on its own {@code listen} port and
 * names the other's as {@code remote}. Both ran {@code replicator create}, as an operator does
 * on each node. The processes are child JVMs, so either node can be SIGKILLed and started again.
 */
public final class ReplicatorNodes implements AutoCloseable {
    private final Path dir;
    private final ReplicatorNode a;
    private final ReplicatorNode b;
    private final Path keyFile;

    private ReplicatorNodes(Path dir, ReplicatorNode a, ReplicatorNode b, Path keyFile) {
        this.dir = dir;
        this.a = a;
        this.b = b;
        this.keyFile = keyFile;
    }

    /**
     * Creates both sparse images of {@code size}, the key, both configurations (with {@code
     * resourceLines}, e.g. {@code region_size = "1MiB"}) and both metadata files; starts B
     * (secondary), then A (primary). Does not wait for the initial sync.
     */
    public static ReplicatorNodes start(Path dir, long size, String... resourceLines)
            throws IOException, InterruptedException {
        ReplicatorNodes n = create(dir, size, resourceLines);
        try {
            n.b.start();
            n.a.start();
        } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
            n.close();
            throw e;
        }
        return n;
    }

    /** As {@link #start}, without starting anything. */
    public static ReplicatorNodes create(Path dir, long size, String... resourceLines) throws IOException {
        int[] ports = freePorts(2);
        Path key = dir.resolve("key");
        Files.write(key, TestData.randomBytes(7, 32));
        ReplicatorNode a = new ReplicatorNode("alpha", dir, ports[0]);
        ReplicatorNode b = new ReplicatorNode("beta", dir, ports[1]);
        a.writeConfig("primary", ports[1], key, List.of(resourceLines));
        b.writeConfig("secondary", ports[0], key, List.of(resourceLines));
        for (ReplicatorNode n : List.of(a, b)) {
            TestData.sparseFile(n.image(), size);
            ResourceInitializer.create(ReplicatorConfig.load(n.config()).resource(ReplicatorNode.RESOURCE), false,
                    OptionalLong.of(size));
        }
        return new ReplicatorNodes(dir, a, b, key);
    }

    private static int[] freePorts(int count) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket s = new ServerSocket(0);
                sockets.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket s : sockets) {
                s.close();
            }
        }
    }

    /** Node A ("alpha"), primary at start. */
    public ReplicatorNode a() {
        return a;
    }

    /** Node B ("beta"), secondary at start. */
    public ReplicatorNode b() {
        return b;
    }

    public Path keyFile() {
        return keyFile;
    }

    public Path dir() {
        return dir;
    }

    /** Kills both processes if they run. Idempotent. */
    @Override
    public void close() throws InterruptedException {
        a.close();
        b.close();
    }
}
