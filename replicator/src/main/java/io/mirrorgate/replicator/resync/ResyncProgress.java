package io.mirrorgate.replicator.resync;

import io.mirrorgate.replicator.generation.SyncDirection;

/**
 * A snapshot of a resync's progress, for {@code status}, {@code status --watch} and metrics.
 *
 * <p>{@code bytesTotal} is fixed when a resync starts (the bytes owed then: whole regions, or the
 * owed 4 KiB blocks of partly owed ones) and grows by what became owed later, at the moment its
 * region is copied, together with {@code bytesDone}. Adding the same amount to both never lowers done/total, so
 * {@code bytesDone} and {@code percent} never go backwards within one resync, including across a
 * pause and resume. When the resync is DONE, {@code bytesTotal == bytesDone} and percent is 100.
 *
 * @param state what the engine is doing
 * @param direction the copy direction of the current (or last) resync
 * @param bytesDone bytes copied and durable on the target
 * @param bytesTotal bytes to copy in this resync (see above)
 * @param percent {@code 100 * bytesDone / bytesTotal} (100 when done, 0 before any total)
 * @param bytesPerSecond copy rate over the last few seconds
 * @param etaSeconds estimated seconds to finish, -1 when unknown
 * @param regionsCopied regions copied in this resync
 * @param lastError why the resync last paused, or null
 */
public record ResyncProgress(State state, SyncDirection direction, long bytesDone,
        long bytesTotal, double percent, double bytesPerSecond, long etaSeconds,
        long regionsCopied, String lastError) {

    /** The engine's state. */
    public enum State { IDLE, RUNNING, PAUSED, DONE, SPLIT_BRAIN }

    public static ResyncProgress idle() {
        return new ResyncProgress(State.IDLE, SyncDirection.NONE, 0, 0, 0, 0, -1, 0, null);
    }
}
