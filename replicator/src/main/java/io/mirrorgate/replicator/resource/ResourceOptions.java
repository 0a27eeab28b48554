package io.mirrorgate.replicator.resource;

import io.mirrorgate.replicator.config.ResourceConfig;
import io.mirrorgate.replicator.config.Role;
import io.mirrorgate.replicator.config.SplitBrainPolicy;
import io.mirrorgate.replicator.generation.SplitBrainResolution;
import io.mirrorgate.replicator.mirror.ReplicationMode;
import io.mirrorgate.replicator.resync.ResyncOptions;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The configuration of one replicated resource, validated before anything is opened.
 *
 * @param name the resource name (logs, thread names, status)
 * @param role this node's role while the runtime runs, reported by status
 * @param mode when writes are acknowledged
 * @param asyncBacklogBytes the bound of the async backlog (used in {@code async} mode)
 * @param resync rate, chunk size and timeout of resyncs
 * @param splitBrainPolicy a configured automatic resolution; empty = wait for the operator
 */
public record ResourceOptions(String name, Role role, ReplicationMode mode,
        long asyncBacklogBytes, ResyncOptions resync,
        Optional<SplitBrainResolution> splitBrainPolicy) {

    public static final long DEFAULT_ASYNC_BACKLOG = 64L << 20;

    public ResourceOptions {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(resync, "resync");
        Objects.requireNonNull(splitBrainPolicy, "splitBrainPolicy");
        if (asyncBacklogBytes <= 0) {
            throw new IllegalArgumentException("resource " + name + ": async backlog "
                    + asyncBacklogBytes + " bytes (expected: > 0)");
        }
    }

    /** Primary, fullsync, 64 MiB async backlog, default resync options, no split-brain policy. */
    public static ResourceOptions defaults(String name) {
        return new ResourceOptions(name, Role.PRIMARY, ReplicationMode.FULLSYNC,
                DEFAULT_ASYNC_BACKLOG, ResyncOptions.defaults(), Optional.empty());
    }

    /** The options of a configured resource, in the primary role (whatever its start-up role). */
    public static ResourceOptions of(ResourceConfig config) {
        Duration resyncTimeout = config.timeout().multipliedBy(6).compareTo(Duration.ofSeconds(60)) > 0
                ? config.timeout().multipliedBy(6) : Duration.ofSeconds(60);
        ResyncOptions resync = new ResyncOptions(config.resyncRate().orElse(0), ResyncOptions.DEFAULT_CHUNK,
                resyncTimeout);
        Optional<SplitBrainResolution> policy = config.splitBrain() == SplitBrainPolicy.DISCARD_SECONDARY
                ? Optional.of(SplitBrainResolution.DISCARD_REMOTE) : Optional.empty();
        return new ResourceOptions(config.name(), Role.PRIMARY, config.mode(), config.asyncBacklog(), resync, policy);
    }

    public ResourceOptions withMode(ReplicationMode newMode) {
        return new ResourceOptions(name, role, newMode, asyncBacklogBytes, resync,
                splitBrainPolicy);
    }

    public ResourceOptions withAsyncBacklog(long bytes) {
        return new ResourceOptions(name, role, mode, bytes, resync, splitBrainPolicy);
    }

    public ResourceOptions withResync(ResyncOptions newResync) {
        return new ResourceOptions(name, role, mode, asyncBacklogBytes, newResync,
                splitBrainPolicy);
    }

    public ResourceOptions withSplitBrainPolicy(Optional<SplitBrainResolution> policy) {
        return new ResourceOptions(name, role, mode, asyncBacklogBytes, resync, policy);
    }
}
