package io.mirrorgate.orchestrator.demo;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * The files and processes of the demo's two-node cluster on loopback: a work directory with a
 * shared key, images and config, and the Mirrorgate programs started from {@code bin/}.
 */
final class DemoCluster implements AutoCloseable {
    private final Launcher launcher;
    private final Path work;
    private final List<ChildProcess> children = new ArrayList<>();

    DemoCluster(Launcher launcher, Path work) throws IOException {
        this.launcher = launcher;
        this.work = work;
        Files.createDirectories(work);
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        Files.write(keyFile(), key);
    }

    Path work() {
        return work;
    }

    Path keyFile() {
        return work.resolve("key");
    }

    Path log() {
        return work.resolve("demo.log");
    }

    /** A Mirrorgate program with arguments, as the launcher starts it. */
    List<String> command(String program, String... args) {
        return launcher.command(program, List.of(args));
    }

    /** Starts a long-running program; it is stopped when the cluster closes. */
    ChildProcess start(String name, List<String> command) throws IOException {
        ChildProcess child = ChildProcess.start(name, command, log());
        children.add(child);
        return child;
    }

    /** Runs a short program to its end and returns its stdout; fails on a non-zero exit. */
    String run(List<String> command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.redirectError(ProcessBuilder.Redirect.appendTo(log().toFile()));
        builder.environment().put("MIRRORGATE_NO_BUILD", "1");
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes());
        int code = process.waitFor();
        if (code != 0) {
            throw new IOException(String.join(" ", command) + " exited with " + code
                    + " (see " + log() + ")");
        }
        return out;
    }

    /** A TCP port that is free on 127.0.0.1 right now. */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (int i = children.size() - 1; i >= 0; i--) {
            children.get(i).close();
        }
    }
}
