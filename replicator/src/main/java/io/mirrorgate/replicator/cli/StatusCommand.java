package io.mirrorgate.replicator.cli;

import io.mirrorgate.common.cli.Subcommand;
import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.common.cli.Cli;
import io.mirrorgate.common.cli.ExitCodes;
import io.mirrorgate.common.error.MirrorgateException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code replicator status [RESOURCE] [--json] [--watch] [--interval S]}. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Show the resources of the running replicator and their resync progress.",
            "Role, state, peer, mode, owed (dirty) bytes, resync progress (percent, bytes",
            "done/total, rate, ETA), generations and counters. --watch redraws, fitted to the",
            "terminal's width, until the resync completes (exit 0); exit 69 when the",
            "replicator goes away, 78 on split brain (also without --watch)."})
final class StatusCommand extends Subcommand<ReplicatorMain> {
    @Parameters(arity = "0..1", paramLabel = "RESOURCE", description = "One resource (default: all).")
    String resource;

    @Option(names = "--json", description = "Print the status as JSON (one line per sample).")
    boolean json;

    @Option(names = "--watch", description = "Redraw every interval until the resync completes.")
    boolean watch;

    @Option(names = "--interval", paramLabel = "S", defaultValue = "1",
            description = "Seconds between samples with --watch (default: ${DEFAULT-VALUE}).")
    double interval;

    static final String CLEAR = "\033[H\033[2J";

    /** Whether to redraw in place (a terminal) or print one line per sample; tests set it. */
    boolean terminal = System.console() != null;

    /** The terminal's width in columns, asked once per watch; tests set it. */
    java.util.function.IntSupplier columns = StatusCommand::terminalColumns;

    @Override
    public Integer call() throws InterruptedException {
        if (!(interval >= 0.05 && interval <= 3600)) {
            throw new IllegalArgumentException("--interval: " + interval + " (expected: 0.05 to 3600 seconds)");
        }
        Path socket = parent.loadConfig().control();
        Map<String, Object> request = new HashMap<>();
        if (resource != null) {
            request.put("resource", resource);
        }
        PrintWriter out = out();
        if (!watch) {
            JsonNode reply = Control.call(socket, "status", request);
            if (json) {
                out.println(reply.path("resources"));
            } else {
                reply.path("resources").forEach(r -> StatusText.lines(r).forEach(out::println));
            }
            out.flush();
            return anySplitBrain(reply) ? ExitCodes.SPLIT_BRAIN : ExitCodes.OK;
        }
        return watch(socket, request, out);
    }

    private Integer watch(Path socket, Map<String, Object> request, PrintWriter out) throws InterruptedException {
        boolean sawReplicator = false;
        int width = terminal && !json ? columns.getAsInt() : Integer.MAX_VALUE;
        while (true) {
            JsonNode reply;
            try {
                reply = Control.call(socket, "status", request);
            } catch (MirrorgateException e) {
                if (!sawReplicator) {
                    throw e;
                }
                PrintWriter err = spec.commandLine().getErr();
                err.println("replicator: the replicator went away: " + Cli.reason(e));
                err.flush();
                return ExitCodes.UNAVAILABLE;
            }
            sawReplicator = true;
            List<String> lines = new ArrayList<>();
            for (JsonNode r : reply.path("resources")) {
                if (json) {
                    lines.add(r.toString());
                } else if (terminal) {
                    lines.addAll(StatusText.fit(StatusText.lines(r), width));
                } else {
                    lines.add(StatusText.line(r));
                }
            }
            if (terminal && !json) {
                // home and clear, as watch(1): robust against lines wrapped by a narrow terminal
                out.print(CLEAR);
            }
            lines.forEach(out::println);
            out.flush();
            if (anySplitBrain(reply)) {
                PrintWriter err = spec.commandLine().getErr();
                for (JsonNode r : reply.path("resources")) {
                    if (StatusText.splitBrain(r)) {
                        err.println("replicator: " + r.path("resource").asText() + ": " + r.path("message").asText());
                    }
                }
                err.flush();
                return ExitCodes.SPLIT_BRAIN;
            }
            if (allInSync(reply)) {
                return ExitCodes.OK;
            }
            Thread.sleep((long) (interval * 1000));
        }
    }

    /**
     * The width of the terminal: {@code $COLUMNS} when exported, else what {@code stty size}
     * says of the controlling terminal, else 80.
     */
    static int terminalColumns() {
        String env = System.getenv("COLUMNS");
        if (env != null && env.strip().matches("\\d{2,4}")) {
            return Integer.parseInt(env.strip());
        }
        try {
            Process stty = new ProcessBuilder("stty", "size")
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/tty")))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String size = new String(stty.getInputStream().readAllBytes(),
                    java.nio.charset.StandardCharsets.US_ASCII).strip();
            if (stty.waitFor() == 0 && size.matches("\\d+ \\d+")) {
                int cols = Integer.parseInt(size.substring(size.indexOf(' ') + 1));
                if (cols >= 20) {
                    return cols;
                }
            }
        } catch (java.io.IOException e) {
            // no terminal or no stty: the default below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 80;
    }

    private static boolean anySplitBrain(JsonNode reply) {
        for (JsonNode r : reply.path("resources")) {
            if (StatusText.splitBrain(r)) {
                return true;
            }
        }
        return false;
    }

    private static boolean allInSync(JsonNode reply) {
        boolean any = false;
        for (JsonNode r : reply.path("resources")) {
            any = true;
            if (!StatusText.inSync(r)) {
                return false;
            }
        }
        return any;
    }
}
