package io.mirrorgate.client.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mirrorgate.client.control.ControlClient;
import io.mirrorgate.client.control.RunDirectory;
import io.mirrorgate.server.cli.Cli;
import io.mirrorgate.server.cli.ExitCodes;
import io.mirrorgate.server.cli.Sizes;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ggate-client list}: the running attachments with their state and counters. */
@Command(name = "list", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        description = "Show attached disks: id, state, server, path, endpoint and counters.")
final class ListCommand implements Callable<Integer> {
    @CommandLine.ParentCommand
    GgateClientMain parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--json", description = "Print a JSON array.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        RunDirectory run = parent.runDirectory();
        ObjectMapper mapper = new ObjectMapper();
        ArrayNode all = mapper.createArrayNode();
        for (String id : run.ids()) {
            try {
                all.add(ControlClient.call(run.socket(id), "info", Map.of()));
            } catch (IOException e) {
                ObjectNode stale = mapper.createObjectNode();
                stale.put("id", id);
                stale.put("state", "stale");
                stale.put("lastError", "control socket does not answer: " + e.getMessage());
                all.add(stale);
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(all));
            return ExitCodes.OK;
        }
        if (all.isEmpty()) {
            out.println("no attachments");
            return ExitCodes.OK;
        }
        String format = "%-8s %-12s %-22s %-30s %-32s %10s %10s %10s %5s%n";
        out.printf(format, "ID", "STATE", "SERVER", "PATH", "ENDPOINT", "REQUESTS", "READ",
                "WRITTEN", "RECON");
        for (JsonNode a : all) {
            out.printf(format, a.path("id").asText(), a.path("state").asText(),
                    a.path("remote").asText("-"), a.path("path").asText("-"),
                    a.path("endpoint").asText("-"), a.path("requests").asText("-"),
                    a.has("bytesRead") ? Sizes.format(a.path("bytesRead").asLong()) : "-",
                    a.has("bytesWritten") ? Sizes.format(a.path("bytesWritten").asLong()) : "-",
                    a.path("reconnects").asText("-"));
        }
        return ExitCodes.OK;
    }
}
