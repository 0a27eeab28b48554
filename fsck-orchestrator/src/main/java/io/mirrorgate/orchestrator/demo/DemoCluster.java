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
    private final List<Cleanup> cleanups = new ArrayList<>();

    /** Something to undo when the demo ends, whether it succeeded or not. */
    interface Cleanup {
        void run() throws Exception;
    }

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

    /** Another main class of fsck-orchestrator's jar with arguments (the demo's own services). */
    List<String> main(String mainClass, String... args) {
        return launcher.main(mainClass, List.of(args));
    }

    /** Registers {@code cleanup} to run first when the cluster closes, even after a failure. */
    void onClose(Cleanup cleanup) {
        cleanups.add(cleanup);
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

    /** The absolute path of an external {@code program} on PATH or in the sbin directories, or null. */
    static String tool(String program) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/bin:/bin";
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return Path.of(dir, program).toString();
            }
        }
        return null;
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
        for (int i = cleanups.size() - 1; i >= 0; i--) {
            try {
                cleanups.get(i).run();
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                System.err.println("demo: cleanup failed: " + e.getMessage());
            }
        }
        for (int i = children.size() - 1; i >= 0; i--) {
            children.get(i).close();
        }
    }
}
