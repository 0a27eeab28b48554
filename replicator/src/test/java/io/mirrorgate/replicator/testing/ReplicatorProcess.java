package io.mirrorgate.replicator.testing;

import io.mirrorgate.replicator.cli.ReplicatorMain;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code replicator -c CONFIG run [RESOURCE...]} in a child JVM (the test class path), for tests
 * that need signals or a crash: {@link #start} waits for the ready line and parses it, {@link
 * #stop} sends SIGTERM and returns the exit code, {@link #kill} is SIGKILL. The child's stderr
 * goes to {@code stderrFile}.
 */
public final class ReplicatorProcess implements AutoCloseable {
    /** {@code replicator running resource=r0 nbd=127.0.0.1:PORT role=primary ... control=PATH metrics=HOST:PORT|off}. */
    public static final Pattern READY = Pattern.compile(
            "replicator running resource=(\\S+) nbd=(\\S+) (?:(?!control=)\\S+ )*control=(\\S+) metrics=(\\S+)");

    private final Process process;
    private final String readyLine;
    private final Path stderrFile;

    private ReplicatorProcess(Process process, String readyLine, Path stderrFile) {
        this.process = process;
        this.readyLine = readyLine;
        this.stderrFile = stderrFile;
    }

    /** Starts the child and waits up to {@code max} for its ready line. */
    public static ReplicatorProcess start(Path config, Path stderrFile, Duration max, String... resources)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-opens") || arg.startsWith("--add-exports")) {
                command.add(arg);
            }
        }
        command.addAll(List.of("-Xmx256m", "-cp", System.getProperty("java.class.path"),
                ReplicatorMain.class.getName(), "-c", config.toString(), "run"));
        command.addAll(List.of(resources));
        Process p = new ProcessBuilder(command).redirectError(stderrFile.toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        String ready;
        try {
            ready = line.get(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("replicator run printed no ready line within " + max + "; stderr:\n"
                    + Files.readString(stderrFile), e);
        }
        if (ready == null || !READY.matcher(ready).matches()) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("replicator run: unexpected first line \"" + ready + "\"; exit "
                    + (p.isAlive() ? "-" : p.exitValue()) + "; stderr:\n" + Files.readString(stderrFile));
        }
        return new ReplicatorProcess(p, ready, stderrFile);
    }

    public String readyLine() {
        return readyLine;
    }

    private Matcher ready() {
        Matcher m = READY.matcher(readyLine);
        if (!m.matches()) {
            throw new AssertionError(readyLine);
        }
        return m;
    }

    /** The NBD port of the first resource. */
    public int nbdPort() {
        String nbd = ready().group(2);
        return Integer.parseInt(nbd.substring(nbd.lastIndexOf(':') + 1));
    }

    /** The metrics port, or -1 when off. */
    public int metricsPort() {
        String metrics = ready().group(4);
        return metrics.equals("off") ? -1 : Integer.parseInt(metrics.substring(metrics.lastIndexOf(':') + 1));
    }

    public Path controlSocket() {
        return Path.of(ready().group(3));
    }

    public Process process() {
        return process;
    }

    /** SIGTERM; waits up to {@code max} and returns the exit code. */
    public int stop(Duration max) throws InterruptedException, IOException {
        process.destroy();
        if (!process.waitFor(max.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("replicator did not stop within " + max + " of SIGTERM; stderr:\n"
                    + Files.readString(stderrFile));
        }
        return process.exitValue();
    }

    /** SIGKILL, waiting for the process to be gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
