package io.mirrorgate.server.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs external programs for integration tests: bounded in time, output captured. */
public final class Processes {
    private Processes() {}

    /** What a finished program left: exit code, stdout, stderr. */
    public record Result(List<String> command, int exitCode, String out, String err) {
        /** Fails with the whole story unless the program exited 0. */
        public Result assertSuccess() {
            if (exitCode != 0) {
                throw new AssertionError(command + " exited " + exitCode + "\nstdout: " + out
                        + "\nstderr: " + err);
            }
            return this;
        }
    }

    /** Runs {@code command}, killing it after {@code timeout}; PATH starts with /usr/bin. */
    public static Result run(Duration timeout, String... command) {
        return run(timeout, Map.of(), command);
    }

    /** As {@link #run(Duration, String...)} with extra environment variables. */
    public static Result run(Duration timeout, Map<String, String> env, String... command) {
        try {
            Path out = Files.createTempFile("proc", ".out");
            Path err = Files.createTempFile("proc", ".err");
            try {
                ProcessBuilder pb = new ProcessBuilder(command)
                        .redirectOutput(out.toFile()).redirectError(err.toFile());
                pb.environment().put("PATH", "/usr/bin:/usr/sbin:/bin:/sbin:"
                        + System.getenv().getOrDefault("PATH", ""));
                pb.environment().putAll(env);
                Process p = pb.start();
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    throw new AssertionError(List.of(command) + " did not finish within " + timeout
                            + "\nstderr: " + Files.readString(err, StandardCharsets.UTF_8));
                }
                return new Result(List.of(command), p.exitValue(),
                        Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + List.of(command) + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + List.of(command), e);
        }
    }
}
