package io.mirrorgate.replicator.cli;

import io.mirrorgate.common.cli.Subcommand;
import io.mirrorgate.replicator.config.ResourceConfig;
import picocli.CommandLine.Parameters;

/** A {@code replicator} command about one resource of the configuration, named first. */
abstract class ResourceCommand extends Subcommand<ReplicatorMain> {
    @Parameters(index = "0", paramLabel = "RESOURCE", description = "A resource of the configuration.")
    String resource;

    /** The named resource's configuration, from the validated configuration file. */
    ResourceConfig config() {
        return parent.loadConfig().resource(resource);
    }
}
