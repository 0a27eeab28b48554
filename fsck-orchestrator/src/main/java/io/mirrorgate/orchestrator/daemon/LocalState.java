package io.mirrorgate.orchestrator.daemon;

import io.mirrorgate.orchestrator.heartbeat.NodeRole;
import io.mirrorgate.orchestrator.takeover.ReplicaStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * This node as its replicator describes it, reduced to the configured resources: primary when
 * every one is primary, secondary when every one is secondary, unknown otherwise (or when the
 * replicator does not answer, with the reason in {@code error}).
 */
public record LocalState(NodeRole role, long epoch, boolean fenced, boolean allInSync, List<ReplicaStatus> resources,
        String error) {

    public LocalState {
        resources = List.copyOf(resources);
    }

    public static LocalState unknown(String error) {
        return new LocalState(NodeRole.UNKNOWN, 0, false, false, List.of(), error);
    }

    public static LocalState of(List<ReplicaStatus> all, Set<String> configured) {
        List<ReplicaStatus> mine = new ArrayList<>();
        for (ReplicaStatus r : all) {
            if (configured.contains(r.resource())) {
                mine.add(r);
            }
        }
        if (mine.size() != configured.size()) {
            List<String> missing = new ArrayList<>(configured);
            mine.forEach(r -> missing.remove(r.resource()));
            return new LocalState(NodeRole.UNKNOWN, 0, false, false, mine, "the replicator does not run resource(s) "
                    + String.join(", ", missing));
        }
        boolean allPrimary = mine.stream().allMatch(ReplicaStatus::primary);
        boolean allSecondary = mine.stream().noneMatch(ReplicaStatus::primary);
        NodeRole role = allPrimary ? NodeRole.PRIMARY : allSecondary ? NodeRole.SECONDARY : NodeRole.UNKNOWN;
        long epoch = mine.stream().mapToLong(ReplicaStatus::epoch).max().orElse(0);
        return new LocalState(role, epoch, mine.stream().anyMatch(ReplicaStatus::fenced),
                mine.stream().allMatch(ReplicaStatus::inSync), mine,
                role == NodeRole.UNKNOWN ? "the resources disagree: some primary, some secondary" : null);
    }
}
