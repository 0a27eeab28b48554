package io.mirrorgate.replicator.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mirrorgate.replicator.bitmap.MetadataFile;
import io.mirrorgate.replicator.bitmap.MetadataSnapshot;
import io.mirrorgate.replicator.config.ResourceConfig;
import io.mirrorgate.common.cli.ExitCodes;
import io.mirrorgate.common.cli.Sizes;
import java.io.PrintWriter;
import java.util.BitSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code replicator dump-metadata RESOURCE [--json]}: reads the metadata file, read-only. */
@Command(name = "dump-metadata", mixinStandardHelpOptions = true,
        description = {"Print the metadata of RESOURCE, also while the replicator is stopped.",
            "Identity, generations, clean-shutdown flag, geometry and the marked (dirty) regions.",
            "Read-only; works while the replicator runs or is stopped (like hastctl dump)."})
final class DumpMetadataCommand extends ResourceCommand {
    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        ResourceConfig config = config();
        MetadataSnapshot m = MetadataFile.inspect(config.metadata());
        PrintWriter out = out();
        if (json) {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode o = mapper.createObjectNode();
            o.put("path", m.path().toString());
            o.put("uuid", m.uuid().toString());
            o.put("resource", m.resource());
            o.put("localNode", m.localNode());
            o.put("peerNode", m.peerNode());
            o.put("generation", m.generations().local());
            o.put("syncedLocal", m.generations().syncedLocal());
            o.put("syncedPeer", m.generations().syncedPeer());
            o.put("epoch", m.epoch());
            o.put("cleanShutdown", m.cleanShutdown());
            o.put("regionSize", m.regionSize());
            o.put("volumeSize", m.volumeSize());
            o.put("regionCount", m.regionCount());
            o.put("markedRegions", m.markedCount());
            o.put("markedBytes", m.markedCount() * m.regionSize());
            o.put("marked", ranges(m.marked()));
            out.println(mapper.writeValueAsString(o));
        } else {
            out.printf("metadata:       %s%n", m.path());
            out.printf("uuid:           %s%n", m.uuid());
            out.printf("resource:       %s%n", m.resource());
            out.printf("local node:     %s%n", m.localNode());
            out.printf("peer node:      %s%n", m.peerNode().isEmpty() ? "-" : m.peerNode());
            out.printf("generations:    local=%d syncedLocal=%d syncedPeer=%d%s%n", m.generations().local(),
                    m.generations().syncedLocal(), m.generations().syncedPeer(),
                    m.generations().wroteWhileApart() ? " (wrote while apart)" : "");
            out.printf("epoch:          %d%n", m.epoch());
            out.printf("clean shutdown: %s%n", m.cleanShutdown() ? "yes" : "no (every marked region is resynced)");
            out.printf("volume:         %d bytes (%s), %d regions of %s%n", m.volumeSize(),
                    Sizes.format(m.volumeSize()), m.regionCount(), Sizes.format(m.regionSize()));
            out.printf("marked:         %d regions (%s)%s%n", m.markedCount(),
                    Sizes.format(m.markedCount() * m.regionSize()),
                    m.markedCount() == 0 ? "" : ": " + ranges(m.marked()));
        }
        out.flush();
        return ExitCodes.OK;
    }

    /** {@code 0-3,7,9-12}: the set bits as ranges, shortened after 40 ranges. */
    static String ranges(BitSet bits) {
        StringBuilder out = new StringBuilder();
        int count = 0;
        for (int from = bits.nextSetBit(0); from >= 0; from = bits.nextSetBit(from + 1)) {
            int to = bits.nextClearBit(from) - 1;
            if (count++ == 40) {
                out.append(",...");
                break;
            }
            out.append(out.length() == 0 ? "" : ",").append(from).append(from == to ? "" : "-" + to);
            from = to;
        }
        return out.toString();
    }
}
