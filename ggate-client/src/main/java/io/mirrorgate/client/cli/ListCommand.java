package io.mirrorgate.client.cli;

import io.mirrorgate.common.cli.Subcommand;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mirrorgate.common.control.ControlClient;
import io.mirrorgate.client.control.RunDirectory;
import io.mirrorgate.common.cli.Cli;
import io.mirrorgate.common.cli.ExitCodes;
import io.mirrorgate.common.cli.Sizes;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ggate-client list}: the running attachments with their state and counters. */
@Command(name = "list", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        description = "Show attached disks: id, state, server, path, endpoint and counters.")
final class ListCommand extends Subcommand<GgateClientMain> {
    /** The first right-aligned (numeric) column. */
    private static final int NUMERIC_FROM = 5;

    @Option(names = "--json", description = "Print a JSON array.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        RunDirectory run = parent.runDirectory();
        ObjectMapper mapper = new ObjectMapper();
        ArrayNode all = mapper.createArrayNode();
        for (String id : run.ids()) {
            try {
                JsonNode info = ControlClient.call(run.socket(id), "info", Map.of());
                if (info instanceof ObjectNode item) {
                    item.remove("ok"); // the control socket's success flag, not a property
                }
                all.add(info);
            } catch (IOException e) {
                ObjectNode stale = mapper.createObjectNode();
                stale.put("id", id);
                stale.put("state", "stale");
                stale.put("lastError", "control socket does not answer: " + e.getMessage());
                all.add(stale);
            }
        }
        PrintWriter out = out();
        if (json) {
            out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(all));
            return ExitCodes.OK;
        }
        if (all.isEmpty()) {
            out.println("no attachments");
            return ExitCodes.OK;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ID", "STATE", "SERVER", "PATH", "ENDPOINT", "REQUESTS", "READ",
            "WRITTEN", "RECON"});
        for (JsonNode a : all) {
            rows.add(new String[] {a.path("id").asText(), a.path("state").asText(),
                a.path("remote").asText("-"), a.path("path").asText("-"),
                a.path("endpoint").asText("-"), a.path("requests").asText("-"),
                a.has("bytesRead") ? Sizes.format(a.path("bytesRead").asLong()) : "-",
                a.has("bytesWritten") ? Sizes.format(a.path("bytesWritten").asLong()) : "-",
                a.path("reconnects").asText("-")});
        }
        table(rows).forEach(out::println);
        return ExitCodes.OK;
    }

    /** Text columns as wide as their widest cell, left-aligned; numbers right-aligned. */
    static List<String> table(List<String[]> rows) {
        int columns = rows.get(0).length;
        int[] width = new int[columns];
        for (String[] row : rows) {
            for (int c = 0; c < columns; c++) {
                width[c] = Math.max(width[c], row[c].length());
            }
        }
        List<String> lines = new ArrayList<>();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < columns; c++) {
                String cell = row[c];
                String pad = " ".repeat(width[c] - cell.length());
                line.append(c == 0 ? "" : "  ").append(c < NUMERIC_FROM ? cell + pad : pad + cell);
            }
            lines.add(line.toString().stripTrailing());
        }
        return lines;
    }
}
