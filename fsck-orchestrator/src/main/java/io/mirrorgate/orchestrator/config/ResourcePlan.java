package io.mirrorgate.orchestrator.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * One {@code [resource.NAME]} table: a replicator resource the takeover plan makes primary, and
 * what to do with its volume.
 *
 * @param name the replicator's resource name
 * @param device the device path of the mirrored volume on this node (for fsck and mount), if any
 * @param attach command that makes {@code device} usable (e.g. {@code nbd-client}); empty: none
 * @param detach command that undoes {@code attach}; empty: none
 * @param fsck the fsck command (placeholders expanded); empty: no fsck
 * @param mountPoint where to mount {@code device}, if anywhere
 */
public record ResourcePlan(String name, Optional<String> device, List<String> attach, List<String> detach,
        List<String> fsck, Optional<Path> mountPoint) {

    public ResourcePlan {
        attach = List.copyOf(attach);
        detach = List.copyOf(detach);
        fsck = List.copyOf(fsck);
    }
}
