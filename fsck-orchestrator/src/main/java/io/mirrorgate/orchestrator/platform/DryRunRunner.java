package io.mirrorgate.orchestrator.platform;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code --dry-run}: prints each command that would change something and runs nothing. Read-only
 * queries (what is mounted, which addresses are up, the replicator's status) may be answered by
 * a real runner, so that the printed plan is the one a real run would execute; changing commands
 * are printed and reported as successful.
 */
public final class DryRunRunner implements CommandRunner {
    private final PrintWriter out;

    public DryRunRunner(PrintWriter out) {
        this.out = out;
    }

    @Override
    public Result run(List<String> argv, Map<String, String> env, Duration timeout) {
        out.println("would run: " + Shell.quote(argv));
        out.flush();
        return Result.success("");
    }
}
