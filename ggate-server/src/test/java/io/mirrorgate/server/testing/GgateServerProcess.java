package io.mirrorgate.server.testing;

import io.mirrorgate.server.cli.GgateServerMain;
import io.mirrorgate.common.cli.Keys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A ggate-server process for end-to-end tests: writes the exports file and a key into a
 * directory, starts {@link GgateServerMain} on 127.0.0.1 with ephemeral ports and reads the bound
 * ports from its ready line. {@link #restart()} starts it again on the same ports.
 */
public final class GgateServerProcess {
    /** The ready line: {@code ggate-server listening ggate=H:P nbd=H:P exports=N}. */
    public static final Pattern READY = Pattern.compile(
            "ggate-server listening ggate=127\\.0\\.0\\.1:(\\d+) nbd=127\\.0\\.0\\.1:(\\d+) exports=(\\d+)");
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final ProcessGroup group;
    private final Path dir;
    private final Path exportsFile;
    private final Path keyFile;
    private JavaProcess process;
    private int ggatePort;
    private int nbdPort;
    private int starts;

    private GgateServerProcess(ProcessGroup group, Path dir, Path exportsFile, Path keyFile) {
        this.group = group;
        this.dir = dir;
        this.exportsFile = exportsFile;
        this.keyFile = keyFile;
    }

    /**
     * Writes {@code exportLines} to {@code dir/exports} and a new key to {@code dir/key}, then
     * starts the server and waits for its ready line.
     */
    public static GgateServerProcess start(ProcessGroup group, Path dir, List<String> exportLines)
            throws IOException, InterruptedException {
        Path exports = Files.write(dir.resolve("exports"), exportLines);
        Path key = dir.resolve("key");
        Keys.generate(key, true);
        GgateServerProcess server = new GgateServerProcess(group, dir, exports, key);
        server.launch(0, 0);
        return server;
    }

    /** The command-line arguments of a server with these files, listening on the given ports. */
    public static List<String> arguments(Path exports, Path key, Path stateDir, int ggatePort,
            int nbdPort) {
        return List.of("-e", exports.toString(), "-l", "127.0.0.1:" + ggatePort,
                "--nbd-listen", "127.0.0.1:" + nbdPort, "-k", key.toString(),
                "--state-dir", stateDir.toString());
    }

    private void launch(int wantedGgate, int wantedNbd) throws IOException, InterruptedException {
        starts++;
        process = group.start("ggate-server-" + starts, dir, GgateServerMain.class,
                arguments(exportsFile, keyFile, dir.resolve("state"), wantedGgate, wantedNbd));
        String line = process.readLine(READY_TIMEOUT);
        Matcher m = READY.matcher(line);
        if (!m.matches()) {
            throw new AssertionError("unexpected first line of ggate-server: " + line + "\n"
                    + process.story());
        }
        ggatePort = Integer.parseInt(m.group(1));
        nbdPort = Integer.parseInt(m.group(2));
    }

    /** Starts the server again on the same ports (after {@link #kill()} or {@link #terminate()}). */
    public void restart() throws IOException, InterruptedException {
        if (process.isAlive()) {
            throw new IllegalStateException("ggate-server still running: " + process.pid());
        }
        launch(ggatePort, nbdPort);
    }

    public JavaProcess process() {
        return process;
    }

    public int ggatePort() {
        return ggatePort;
    }

    public int nbdPort() {
        return nbdPort;
    }

    /** {@code 127.0.0.1:PORT} of the ggate protocol. */
    public String ggateAddress() {
        return "127.0.0.1:" + ggatePort;
    }

    /** The URI of export {@code name} on the server's own NBD port. */
    public String nbdUri(String name) {
        return "nbd://127.0.0.1:" + nbdPort + "/" + name;
    }

    public Path keyFile() {
        return keyFile;
    }

    public Path exportsFile() {
        return exportsFile;
    }

    /** SIGTERM and wait; returns the exit code. */
    public int terminate() throws InterruptedException {
        return process.terminate();
    }

    /** SIGKILL and wait. */
    public void kill() throws InterruptedException {
        process.kill();
    }
}
