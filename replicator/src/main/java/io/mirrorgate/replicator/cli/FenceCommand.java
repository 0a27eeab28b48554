package io.mirrorgate.replicator.cli;

import java.util.Map;
import picocli.CommandLine.Command;

/** {@code replicator fence RESOURCE [--json]}: raise this node's epoch without changing its role. */
@Command(name = "fence", mixinStandardHelpOptions = true,
        description = {"Raise the epoch of RESOURCE on this node, fencing the primaries with older ones.",
            "A primary connected now is cut off, and every primary presenting an older epoch is",
            "refused from now on (its writes fail with ESTALE, and it stops writing). The first",
            "step of a takeover; harmless to repeat."})
final class FenceCommand extends ResourceControlCommand {
    @Override
    public Integer call() {
        return request("fence", Map.of());
    }
}
