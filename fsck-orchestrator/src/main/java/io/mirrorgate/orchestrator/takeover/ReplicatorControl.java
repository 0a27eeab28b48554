package io.mirrorgate.orchestrator.takeover;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mirrorgate.orchestrator.platform.CommandRunner;
import io.mirrorgate.orchestrator.platform.CommandRunner.Result;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The replicator, driven through its command line (the configured {@code replicator} command):
 * {@code fence R}, {@code role R primary|secondary [--force]} and {@code status --json}. Exit
 * codes of the replicator: 0 done (also when nothing had to change), 65 refused, 66 no such
 * resource, 69 the replicator is not running.
 */
public final class ReplicatorControl {
    public static final int REFUSED = 65;
    public static final int NO_SUCH_RESOURCE = 66;
    public static final int NOT_RUNNING = 69;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> command;
    private final CommandRunner actions;
    private final CommandRunner queries;

    /** {@code actions} runs what changes the replicator, {@code queries} runs {@code status}. */
    public ReplicatorControl(List<String> command, CommandRunner actions, CommandRunner queries) {
        this.command = List.copyOf(command);
        this.actions = actions;
        this.queries = queries;
    }

    public List<String> fenceCommand(String resource) {
        return argv("fence", resource);
    }

    public List<String> roleCommand(String resource, boolean primary, boolean force) {
        List<String> argv = argv("role", resource, primary ? "primary" : "secondary");
        if (force) {
            argv.add("--force");
        }
        return argv;
    }

    public Result fence(String resource, Duration timeout) {
        return actions.run(fenceCommand(resource), timeout);
    }

    public Result role(String resource, boolean primary, boolean force, Duration timeout) {
        return actions.run(roleCommand(resource, primary, force), timeout);
    }

    /** Every resource's status; an IOException saying why when the replicator cannot tell. */
    public List<ReplicaStatus> status(Duration timeout) throws IOException {
        Result r = queries.run(argv("status", "--json"), timeout);
        if (!r.ok()) {
            throw new IOException("replicator status: " + r.describe()
                    + (r.exitCode() == NOT_RUNNING ? " (the replicator is not running)" : ""));
        }
        JsonNode array;
        try {
            array = JSON.readTree(r.output().strip());
        } catch (IOException e) {
            throw new IOException("replicator status --json printed no JSON: " + e.getMessage(), e);
        }
        if (array == null || !array.isArray()) {
            throw new IOException("replicator status --json: expected a JSON array of resources");
        }
        List<ReplicaStatus> out = new ArrayList<>();
        array.forEach(n -> out.add(ReplicaStatus.fromJson(n)));
        return out;
    }

    private List<String> argv(String... args) {
        List<String> argv = new ArrayList<>(command);
        argv.addAll(List.of(args));
        return argv;
    }

    /** What a replicator exit code means, for step details. */
    public static String meaning(Result r) {
        switch (r.exitCode()) {
            case REFUSED:
                return "refused by the replicator";
            case NO_SUCH_RESOURCE:
                return "no such resource in the replicator";
            case NOT_RUNNING:
                return "the replicator is not running";
            default:
                return r.describe();
        }
    }
}
