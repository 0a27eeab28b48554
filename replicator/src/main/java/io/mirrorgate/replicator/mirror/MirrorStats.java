package io.mirrorgate.replicator.mirror;

import java.util.concurrent.atomic.LongAdder;

/** The hot-path counters of a {@link MirrorDevice}; {@link #snapshot} makes the public record. */
final class MirrorStats {
    final LongAdder reads = new LongAdder();
    final LongAdder writes = new LongAdder();
    final LongAdder bytesRead = new LongAdder();
    final LongAdder bytesWritten = new LongAdder();
    final LongAdder localReadErrors = new LongAdder();
    final LongAdder repaired = new LongAdder();
    final LongAdder localWriteFailures = new LongAdder();
    final LongAdder peerWriteFailures = new LongAdder();
    final LongAdder degradedWrites = new LongAdder();

    MirrorCounters snapshot(boolean degraded, AsyncBacklog backlog) {
        return new MirrorCounters(reads.sum(), writes.sum(), bytesRead.sum(), bytesWritten.sum(),
                localReadErrors.sum(), repaired.sum(), localWriteFailures.sum(),
                peerWriteFailures.sum(), degradedWrites.sum(), degraded,
                backlog != null ? backlog.used() : 0, backlog != null ? backlog.peak() : 0);
    }
}
