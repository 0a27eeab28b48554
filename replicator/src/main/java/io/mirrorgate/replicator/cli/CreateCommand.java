package io.mirrorgate.replicator.cli;

import io.mirrorgate.replicator.config.ResourceConfig;
import io.mirrorgate.replicator.resource.ResourceInitializer;
import io.mirrorgate.common.cli.ExitCodes;
import io.mirrorgate.common.cli.Sizes;
import java.io.PrintWriter;
import java.util.OptionalLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code replicator create RESOURCE [--size SIZE] [--force]}. */
@Command(name = "create", mixinStandardHelpOptions = true,
        description = {"Write the metadata of RESOURCE, every region marked for a full first sync.",
            "The local replica must exist, unless --size creates an image file."})
final class CreateCommand extends ResourceCommand {
    @Option(names = "--size", paramLabel = "SIZE", converter = Sizes.Converter.class,
            description = "Create a missing local image file (sparse) of SIZE bytes, e.g. 10G.")
    Long size;

    @Option(names = "--force", description = "Replace existing metadata (the next connection is a full sync).")
    boolean force;

    @Override
    public Integer call() {
        ResourceConfig config = config();
        ResourceInitializer.Created c = ResourceInitializer.create(config, force,
                size == null ? OptionalLong.empty() : OptionalLong.of(size));
        PrintWriter out = out();
        out.printf("resource %s created: metadata %s (%s), local %s%s (%s), %d regions of %s%n",
                config.name(), c.metadata(), Sizes.format(c.metadataBytes()), c.local(),
                c.localCreated() ? " (new image)" : "", Sizes.format(c.volumeSize()), c.regionCount(),
                Sizes.format(c.regionSize()));
        out.flush();
        return ExitCodes.OK;
    }
}
