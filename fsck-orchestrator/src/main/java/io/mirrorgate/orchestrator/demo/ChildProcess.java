package io.mirrorgate.orchestrator.demo;

import io.mirrorgate.common.lifecycle.DaemonThreads;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A Mirrorgate program started by the demo: its stdout lines are queued for the demo to read,
 * its stderr is copied to a log file. Closing it sends SIGTERM and waits, then SIGKILL.
 */
final class ChildProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Path log;
    private final Thread reader;

    private ChildProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.reader = DaemonThreads.start(name + "-stdout", () -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(
                    process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("(" + name + " output unreadable: " + e.getMessage() + ")");
            }
        });
    }

    static ChildProcess start(String name, List<String> command, Path log) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("MIRRORGATE_NO_BUILD", "1");
        return new ChildProcess(name, builder.start(), log);
    }

    /** The next stdout line, waiting at most {@code seconds}. */
    String nextLine(int seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String line = lines.poll(100, TimeUnit.MILLISECONDS);
        // a program that exited is not waited for: its last lines are read, then it is reported
        while (line == null && System.nanoTime() < deadline && (process.isAlive() || readerAlive())) {
            line = lines.poll(100, TimeUnit.MILLISECONDS);
        }
        if (line == null) {
            throw new IOException(name + (process.isAlive() ? " printed nothing within " + seconds + " s"
                    : " exited with " + process.exitValue()) + " (see " + log + ")");
        }
        return line;
    }

    private boolean readerAlive() {
        return reader.isAlive();
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL, as a crashing machine would. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM, then wait; returns the exit code. */
    int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            stop();
        }
    }
}
