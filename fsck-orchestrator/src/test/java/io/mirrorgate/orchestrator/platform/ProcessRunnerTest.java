package io.mirrorgate.orchestrator.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ProcessRunnerTest {
    @TempDir
    Path dir;

    private final ProcessRunner runner = new ProcessRunner();

    @Test
    void outputErrorsExitCodeAndEnvironmentAreCaptured() {
        CommandRunner.Result r = runner.run(List.of("/bin/sh", "-c", "echo out $MG_X; echo err >&2; exit 3"),
                Map.of("MG_X", "value"), Duration.ofSeconds(10));
        assertEquals(3, r.exitCode());
        assertEquals("out value\n", r.output());
        assertEquals("err\n", r.errors());
        assertFalse(r.timedOut());
        assertEquals("exit 3: err", r.describe());
    }

    @Test
    void aCommandPastItsTimeoutIsKilledWithItsChildren() throws Exception {
        Path marker = dir.resolve("child-survived");
        long start = System.nanoTime();
        CommandRunner.Result r = runner.run(List.of("/bin/sh", "-c", "(sleep 2; touch " + marker + ") & sleep 30"),
                Duration.ofMillis(300));
        assertTrue(r.timedOut());
        assertEquals(-1, r.exitCode());
        assertTrue(r.describe().startsWith("timed out after "), r.describe());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10));
        Thread.sleep(2500);
        assertFalse(Files.exists(marker), "the background child was killed too");
    }

    @Test
    void aMissingProgramIsAFailureNotAnException() {
        CommandRunner.Result r = runner.run(List.of("/nonexistent/program"), Duration.ofSeconds(5));
        assertEquals(-1, r.exitCode());
        assertTrue(r.describe().startsWith("could not run: cannot run /nonexistent/program"), r.describe());
    }

    @Test
    void backgroundCommandsDoNotMakeTheCallerWait() throws Exception {
        long start = System.nanoTime();
        var future = runner.runInBackground(List.of("sleep", "1"), Duration.ofSeconds(5));
        assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(500));
        assertTrue(future.get(5, TimeUnit.SECONDS).ok());
    }
}
