package io.mirrorgate.orchestrator.platform;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Runs an external command with a timeout and captures its output. The plan only ever talks to
 * the system through this interface, so that tests give it a fake and {@code --dry-run} a
 * printing one.
 */
public interface CommandRunner {

    /** Runs {@code argv} with extra environment {@code env}; never throws for a failed command. */
    Result run(List<String> argv, Map<String, String> env, Duration timeout);

    default Result run(List<String> argv, Duration timeout) {
        return run(argv, Map.of(), timeout);
    }

    /**
     * Runs {@code argv} without making the caller wait, where the runner can (a real process
     * runner); by default it runs at once, so that fakes and dry runs keep their order.
     */
    default CompletableFuture<Result> runInBackground(List<String> argv, Duration timeout) {
        return CompletableFuture.completedFuture(run(argv, Map.of(), timeout));
    }

    /**
     * What a command did.
     *
     * @param exitCode its exit code; -1 when it could not start or timed out
     * @param output standard output (the first 64 KiB)
     * @param errors standard error (the first 64 KiB)
     * @param timedOut whether it was killed at the timeout
     * @param duration how long it ran
     */
    record Result(int exitCode, String output, String errors, boolean timedOut, Duration duration) {
        /** A command that did nothing and succeeded (dry run, fakes). */
        public static Result success(String output) {
            return new Result(0, output, "", false, Duration.ZERO);
        }

        public static Result exit(int code, String errors) {
            return new Result(code, "", errors, false, Duration.ZERO);
        }

        public boolean ok() {
            return exitCode == 0 && !timedOut;
        }

        /** A short description for logs and step outcomes. */
        public String describe() {
            String text = errors.isBlank() ? output : errors;
            String tail = text.isBlank() ? "" : ": " + lastLine(text);
            if (timedOut) {
                return "timed out after " + duration.toMillis() + "ms" + tail;
            }
            return (exitCode < 0 ? "could not run" : "exit " + exitCode) + tail;
        }

        private static String lastLine(String text) {
            String t = text.strip();
            int nl = t.lastIndexOf('\n');
            return nl < 0 ? t : t.substring(nl + 1);
        }
    }
}
