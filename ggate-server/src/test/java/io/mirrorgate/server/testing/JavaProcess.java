package io.mirrorgate.server.testing;

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
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A main class running in a child JVM, for end-to-end tests through real processes: the test's
 * own class path and {@code --add-opens}/{@code --add-exports} flags (surefire's argLine), stdout
 * lines queued for {@link #readLine}, stderr in {@code <name>.log} in the given directory.
 * {@link #terminate()} sends SIGTERM and waits, {@link #kill()} SIGKILL. Start it through a {@link
 * ProcessGroup} so that it is stopped after the test and its log is dumped when the test fails.
 */
public final class JavaProcess implements AutoCloseable {
    private static final String EOF = new String("<eof>");
    private static final Duration EXIT_WAIT = Duration.ofSeconds(30);

    private final String name;
    private final List<String> command;
    private final Process process;
    private final Path stderrLog;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> stdout = new CopyOnWriteArrayList<>();
    private final Thread reader;

    private JavaProcess(String name, List<String> command, Process process, Path stderrLog) {
        this.name = name;
        this.command = command;
        this.process = process;
        this.stderrLog = stderrLog;
        this.reader = new Thread(this::readStdout, "stdout-" + name);
        this.reader.setDaemon(true);
        this.reader.start();
    }

    /**
     * Starts {@code main} with {@code args} in a new JVM; stderr goes to {@code logDir/name.log}.
     * Prefer {@link ProcessGroup#start}, which also stops it.
     */
    public static JavaProcess start(String name, Path logDir, Class<?> main, List<String> args)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(moduleFlags());
        command.addAll(List.of("-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(args);
        Path log = logDir.resolve(name + ".log");
        Process process = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .start();
        return new JavaProcess(name, List.copyOf(command), process, log);
    }

    /** The {@code --add-opens}/{@code --add-exports} flags this JVM runs with (surefire's argLine). */
    static List<String> moduleFlags() {
        List<String> flags = new ArrayList<>();
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-opens") || arg.startsWith("--add-exports")) {
                flags.add(arg);
            }
        }
        return flags;
    }

    private void readStdout() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                stdout.add(line);
                lines.add(line);
            }
        } catch (IOException e) {
            stdout.add("<stdout read failed: " + e + ">");
        } finally {
            lines.add(EOF);
        }
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * The next line of stdout; fails (with the process's stderr) if the process ends first or
     * no line comes within {@code timeout}.
     */
    public String readLine(Duration timeout) throws InterruptedException {
        String line = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (line == null) {
            throw new AssertionError(name + ": no line on stdout within " + timeout + "\n" + story());
        }
        if (line == EOF) {
            lines.add(EOF);
            process.waitFor(5, TimeUnit.SECONDS);
            throw new AssertionError(name + ": stdout ended"
                    + (process.isAlive() ? "" : " (exit " + process.exitValue() + ")") + "\n" + story());
        }
        return line;
    }

    /** Waits for the process to exit on its own; fails if it does not within {@code timeout}. */
    public int waitFor(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(name + ": still running after " + timeout + "\n" + story());
        }
        reader.join(5_000);
        return process.exitValue();
    }

    /** SIGTERM, then waits for the exit; returns the exit code. */
    public int terminate() throws InterruptedException {
        process.destroy();
        return waitFor(EXIT_WAIT);
    }

    /** SIGKILL, then waits for the exit. */
    public void kill() throws InterruptedException {
        process.toHandle().destroyForcibly();
        process.waitFor(EXIT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Everything the process wrote to stdout so far. */
    public List<String> stdout() {
        return List.copyOf(stdout);
    }

    /** Everything the process wrote to stderr so far. */
    public String stderr() {
        try {
            return Files.exists(stderrLog) ? Files.readString(stderrLog, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "<cannot read " + stderrLog + ": " + e + ">";
        }
    }

    /** The command, stdout and stderr, for failure messages. */
    public String story() {
        return "--- " + name + " (pid " + process.pid() + "): " + String.join(" ", command.subList(
                command.indexOf("-cp") + 2, command.size())) + "\n--- stdout:\n"
                + String.join("\n", stdout) + "\n--- stderr (" + stderrLog + "):\n" + stderr();
    }

    /** Kills the process if it still runs. Idempotent. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
