package io.mirrorgate.replicator.cli;

import io.mirrorgate.common.cli.ExitCodes;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code replicator fence RESOURCE [--json]}: raise this node's epoch without changing its role. */
@Command(name = "fence", mixinStandardHelpOptions = true,
        description = {"Raise the epoch of RESOURCE on this node, fencing the primaries with older ones.",
            "A primary connected now is cut off, and every primary presenting an older epoch is",
            "refused from now on (its writes fail with ESTALE, and it stops writing). The first",
            "step of a takeover; harmless to repeat."})
final class FenceCommand implements Callable<Integer> {
    @CommandLine.ParentCommand
    ReplicatorMain parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RESOURCE")
    String resource;

    @Option(names = "--json", description = "Print the control socket's JSON reply.")
    boolean json;

    @Override
    public Integer call() {
        Control.print(spec, Control.call(parent.loadConfig().control(), "fence", Map.of("resource", resource)),
                json);
        return ExitCodes.OK;
    }
}
