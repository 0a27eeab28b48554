package io.mirrorgate.replicator.resync;

import java.util.ArrayList;
import java.util.List;

/**
 * The requests of one region copy in flight, for the pass's I/O timeout: what each one is and
 * when it was issued. Not thread-safe: the copy's monitor guards it.
 */
final class InFlightRequests {
    /** One request in flight. */
    record Pending(String what, long startNanos) {}

    private final List<Pending> pending = new ArrayList<>();

    /** A request {@code what} is issued now. */
    Pending begin(String what) {
        Pending op = new Pending(what, System.nanoTime());
        pending.add(op);
        return op;
    }

    /** {@code op} ended (null: nothing to remove). */
    void end(Pending op) {
        if (op != null) {
            pending.remove(op);
        }
    }

    /** The oldest request in flight, or null. */
    Pending oldest() {
        Pending oldest = null;
        for (Pending p : pending) {
            if (oldest == null || p.startNanos() < oldest.startNanos()) {
                oldest = p;
            }
        }
        return oldest;
    }
}
