package io.mirrorgate.replicator.cli;

import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code replicator role RESOURCE primary|secondary [--force] [--accept-inconsistent] [--json]}, as
 * {@code hastctl role}.
 */
@Command(name = "role", mixinStandardHelpOptions = true,
        description = {"Change the role of RESOURCE on the running replicator (idempotent).",
            "primary: refused while the peer is connected as primary, unless --force, which first",
            "  raises the epoch so that the old primary is fenced (its writes are refused), then",
            "  takes the role and opens the NBD endpoint (nbd_listen). A replica whose resync did",
            "  not finish (status: inconsistent) is refused unless --accept-inconsistent.",
            "secondary: the NBD endpoint drains (nothing acknowledged is lost), both replicas are",
            "  flushed, and the replica is served to the peer's primary on the listen address."})
final class RoleCommand extends ResourceControlCommand {
    @Parameters(index = "1", paramLabel = "ROLE", description = "primary or secondary")
    String role;

    @Option(names = "--force", description = "To primary: fence a connected primary and take over.")
    boolean force;

    @Option(names = "--accept-inconsistent", description = "To primary: promote this replica even though"
            + " a resync to it did not finish (what it had not copied is lost).")
    boolean acceptInconsistent;

    @Override
    public Integer call() {
        if (!role.equals("primary") && !role.equals("secondary")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "ROLE: \"" + role
                    + "\" (expected: primary or secondary)");
        }
        return request("role", Map.of("role", role, "force", force, "acceptInconsistent", acceptInconsistent));
    }
}
