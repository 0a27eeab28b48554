package io.mirrorgate.replicator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.common.cli.ExitCodes;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code replicator resolve RESOURCE (--discard-local | --discard-remote)}. */
@Command(name = "resolve", mixinStandardHelpOptions = true,
        description = {"Resolve a split brain of RESOURCE on the running replicator.",
            "Says which side's writes made while apart are thrown away; the resync then starts",
            "by itself."})
final class ResolveCommand extends ResourceCommand {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Side side;

    static final class Side {
        @Option(names = "--discard-local", required = true,
                description = "The peer wins: the local replica is overwritten from it.")
        boolean local;

        @Option(names = "--discard-remote", required = true,
                description = "This side wins: the peer is overwritten from the local replica.")
        boolean remote;
    }

    @Override
    public Integer call() {
        JsonNode reply = Control.call(parent.loadConfig().control(), "resolve",
                Map.of("resource", resource, "discard", side.local ? "local" : "remote"));
        PrintWriter out = out();
        out.println(resource + ": " + reply.path("message").asText());
        out.flush();
        return ExitCodes.OK;
    }
}
