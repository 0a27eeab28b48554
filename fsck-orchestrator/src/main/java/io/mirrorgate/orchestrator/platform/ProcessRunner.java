package io.mirrorgate.orchestrator.platform;

import io.mirrorgate.common.lifecycle.DaemonThreads;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs commands as child processes: standard input from /dev/null, output and error captured
 * apart (the first {@value #MAX_OUTPUT} bytes of each), the process and its descendants killed
 * at the timeout.
 */
public final class ProcessRunner implements CommandRunner {
    static final int MAX_OUTPUT = 64 * 1024;

    @Override
    public Result run(List<String> argv, Map<String, String> env, Duration timeout) {
        long start = System.nanoTime();
        ProcessBuilder builder = new ProcessBuilder(argv)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().putAll(env);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            return new Result(-1, "", "cannot run " + argv.get(0) + ": " + e.getMessage(), false, since(start));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread outReader = drain(process.getInputStream(), out, "stdout-" + argv.get(0));
        Thread errReader = drain(process.getErrorStream(), err, "stderr-" + argv.get(0));
        boolean exited = false;
        boolean interrupted = false;
        try {
            exited = process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            interrupted = true; // shutting down: the command is killed, not "timed out"
        }
        if (!exited) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        try {
            process.waitFor(5, TimeUnit.SECONDS);
            outReader.join(1000);
            errReader.join(1000);
        } catch (InterruptedException e) {
            interrupted = true;
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
            return new Result(-1, text(out), "interrupted: " + argv.get(0) + " killed", false, since(start));
        }
        return new Result(exited ? process.exitValue() : -1, text(out), text(err), !exited, since(start));
    }

    /** Runs {@code argv} on a thread of its own (e.g. arping, which takes seconds to send its count). */
    @Override
    public CompletableFuture<Result> runInBackground(List<String> argv, Duration timeout) {
        return CompletableFuture.supplyAsync(() -> run(argv, Map.of(), timeout),
                r -> DaemonThreads.start("background-" + argv.get(0), r));
    }

    private static Thread drain(InputStream in, ByteArrayOutputStream captured, String name) {
        return DaemonThreads.start(name, () -> {
            byte[] buffer = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    synchronized (captured) {
                        int room = MAX_OUTPUT - captured.size();
                        if (room > 0) {
                            captured.write(buffer, 0, Math.min(n, room));
                        }
                    }
                }
            } catch (IOException killed) {
                // the process was killed: what was read so far is the output
            }
        });
    }

    private static String text(ByteArrayOutputStream captured) {
        synchronized (captured) {
            return captured.toString(StandardCharsets.UTF_8);
        }
    }

    private static Duration since(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }
}
