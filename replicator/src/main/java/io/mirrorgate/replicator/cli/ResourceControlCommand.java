package io.mirrorgate.replicator.cli;

import io.mirrorgate.common.cli.ExitCodes;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * A request about one resource to the running replicator, over its control socket; prints the
 * reply's message, or its JSON with {@code --json}.
 */
abstract class ResourceControlCommand extends ResourceCommand {
    @Option(names = "--json", description = "Print the control socket's JSON reply.")
    boolean json;

    /** Sends {@code command} for the resource with the {@code arguments}, prints the reply, exit 0. */
    int request(String command, Map<String, Object> arguments) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("resource", resource);
        request.putAll(arguments);
        Control.print(spec, Control.call(parent.loadConfig().control(), command, request), json);
        return ExitCodes.OK;
    }
}
