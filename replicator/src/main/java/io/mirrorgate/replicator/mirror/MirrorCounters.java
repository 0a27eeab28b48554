package io.mirrorgate.replicator.mirror;

/**
 * A snapshot of a {@link MirrorDevice}'s counters, for {@code status} and metrics.
 *
 * @param reads read requests
 * @param writes mutating requests (write, write-zeroes, trim)
 * @param bytesRead bytes returned by reads
 * @param bytesWritten bytes acknowledged by mutating requests
 * @param localReadErrors reads that failed on the local replica
 * @param localReadErrorsRepaired of those, the ones served from the peer and rewritten locally
 * @param localWriteFailures mutating requests that failed locally (failed to the application)
 * @param peerWriteFailures peer writes that failed (each one made its regions owed)
 * @param degradedWrites mutating requests that were not replicated (the peer was away)
 * @param degraded whether the peer is not receiving writes now
 * @param asyncBacklogBytes bytes of {@code async} peer writes queued or in flight
 * @param asyncBacklogPeak the most bytes the async backlog ever held
 */
public record MirrorCounters(
        long reads,
        long writes,
        long bytesRead,
        long bytesWritten,
        long localReadErrors,
        long localReadErrorsRepaired,
        long localWriteFailures,
        long peerWriteFailures,
        long degradedWrites,
        boolean degraded,
        long asyncBacklogBytes,
        long asyncBacklogPeak) {}
