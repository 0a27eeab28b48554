package io.mirrorgate.replicator.generation;

import java.util.BitSet;
import java.util.Objects;
import java.util.Optional;

/**
 * What to do when the peer connects: a pure function of the local {@link Generations} and the
 * generation the peer reports.
 *
 * <p>"Local wrote while apart" is {@code local != syncedLocal}; "the peer wrote while apart" is
 * {@code peerGeneration != syncedPeer}. Hence:
 *
 * <pre>
 *   syncedPeer == 0 (never in sync)       INITIAL      local -&gt; peer, owed regions (all, at first)
 *   peer generation 0 (blank peer)        PEER_BLANK   local -&gt; peer, every region
 *   neither wrote                         IN_SYNC      local -&gt; peer, owed regions only
 *   only local wrote                      LOCAL_NEWER  local -&gt; peer, owed regions only
 *   only the peer wrote                   PEER_NEWER   peer -&gt; local, every region
 *   both wrote                            SPLIT_BRAIN  nothing, until resolved
 * </pre>
 *
 * <p>IN_SYNC still copies the owed regions: a crash or a lost peer write may leave some. A
 * PEER_NEWER resync copies <em>every</em> region because the peer's writes are not recorded on
 * this side: the local bitmap only knows what this side wrote, and the peer's own bitmap is not
 * available to us. INITIAL makes the node that runs the replicator with a fresh metadata file the
 * initial source (as {@code drbdadm primary --force} does). Its full copy comes from the
 * metadata: {@code replicator create} marks every region, so at the first connection every region
 * is owed; an initial sync interrupted by the peer going away or a restart of either node
 * resumes with the regions still owed instead of starting over (they are unmarked only once the
 * peer holds them).
 *
 * <p>PEER_BLANK: a peer that reports generation 0 was never given one, so it never held this
 * resource's data: a new or replaced disk, or an export whose state was lost. Reading it as "the
 * peer wrote while apart" would copy a blank disk over the local data; it is a full copy local to
 * peer instead (a lost state over the right disk only costs time).
 *
 * <p>A split brain is resolved by {@link #resolve}: {@code DISCARD_LOCAL} is a full copy peer to
 * local. {@code DISCARD_REMOTE} copies local to peer the union of the regions this side owes and
 * the regions the peer wrote while apart; as those are unknown here, it is a full copy, unless
 * the caller knows the peer's dirty regions (its bitmap), in which case only the union is copied.
 *
 * @param outcome what was decided
 * @param direction which side is the source; NONE for a split brain
 * @param copy which regions the resync copies
 * @param peerDirty regions the peer wrote while apart, to copy as well (with {@link
 *     Copy#OWED_AND_PEER_DIRTY}); empty otherwise
 * @param message one line for the log and {@code status}, with both sides' figures
 */
public record SyncDecision(Outcome outcome, SyncDirection direction, Copy copy,
        Optional<BitSet> peerDirty, String message) {

    /** The decided case. */
    public enum Outcome { INITIAL, PEER_BLANK, IN_SYNC, LOCAL_NEWER, PEER_NEWER, SPLIT_BRAIN,
        DISCARD_LOCAL, DISCARD_REMOTE }

    /** Which regions are copied. */
    public enum Copy {
        /** None (split brain: nothing is written to either side). */
        NONE,
        /** The regions owed to the peer in the local bitmap. */
        OWED,
        /** The owed regions plus the peer's dirty regions ({@link #peerDirty()}). */
        OWED_AND_PEER_DIRTY,
        /** Every region of the volume. */
        ALL
    }

    public SyncDecision {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(copy, "copy");
        Objects.requireNonNull(peerDirty, "peerDirty");
        Objects.requireNonNull(message, "message");
    }

    /** Decides the sync direction from the local generations and the peer's generation. */
    public static SyncDecision decide(Generations local, long peerGeneration) {
        String figures = figures(local, peerGeneration);
        if (local.syncedPeer() == 0) {
            return new SyncDecision(Outcome.INITIAL, SyncDirection.LOCAL_TO_PEER, Copy.OWED,
                    Optional.empty(), "never in sync: full copy local -> peer (the regions not"
                            + " copied yet); " + figures);
        }
        if (peerGeneration == 0) {
            return new SyncDecision(Outcome.PEER_BLANK, SyncDirection.LOCAL_TO_PEER, Copy.ALL,
                    Optional.empty(), "the peer reports no generation (a new or replaced disk):"
                            + " full copy local -> peer; " + figures);
        }
        boolean localWrote = local.wroteWhileApart();
        boolean peerWrote = peerGeneration != local.syncedPeer();
        if (localWrote && peerWrote) {
            return new SyncDecision(Outcome.SPLIT_BRAIN, SyncDirection.NONE, Copy.NONE,
                    Optional.empty(), "split brain: both replicas wrote while apart (local "
                            + local.local() + " != synced " + local.syncedLocal() + ", peer "
                            + peerGeneration + " != synced " + local.syncedPeer() + "); nothing"
                            + " is copied until resolved with --discard-local or"
                            + " --discard-remote; " + figures);
        }
        if (peerWrote) {
            return new SyncDecision(Outcome.PEER_NEWER, SyncDirection.PEER_TO_LOCAL, Copy.ALL,
                    Optional.empty(), "peer wrote while apart: full copy peer -> local (the"
                            + " peer's writes are not known here); " + figures);
        }
        if (localWrote) {
            return new SyncDecision(Outcome.LOCAL_NEWER, SyncDirection.LOCAL_TO_PEER, Copy.OWED,
                    Optional.empty(), "local wrote while apart: owed regions local -> peer; "
                            + figures);
        }
        return new SyncDecision(Outcome.IN_SYNC, SyncDirection.LOCAL_TO_PEER, Copy.OWED,
                Optional.empty(), "in sync: owed regions local -> peer; " + figures);
    }

    /**
     * Resolves a split brain (also usable to force a direction in any other case).
     *
     * @param peerDirty the regions the peer wrote while apart, when known (for example read from
     *     the peer's bitmap); only used by {@code DISCARD_REMOTE}, which then copies the union of
     *     those and the local owed regions instead of every region
     */
    public static SyncDecision resolve(SplitBrainResolution resolution, Generations local,
            long peerGeneration, Optional<BitSet> peerDirty) {
        String figures = figures(local, peerGeneration);
        if (resolution == SplitBrainResolution.DISCARD_LOCAL) {
            return new SyncDecision(Outcome.DISCARD_LOCAL, SyncDirection.PEER_TO_LOCAL, Copy.ALL,
                    Optional.empty(), "discard local: full copy peer -> local; " + figures);
        }
        if (peerDirty.isPresent()) {
            return new SyncDecision(Outcome.DISCARD_REMOTE, SyncDirection.LOCAL_TO_PEER,
                    Copy.OWED_AND_PEER_DIRTY, peerDirty.map(b -> (BitSet) b.clone()),
                    "discard remote: owed and peer-dirty regions local -> peer; " + figures);
        }
        return new SyncDecision(Outcome.DISCARD_REMOTE, SyncDirection.LOCAL_TO_PEER, Copy.ALL,
                Optional.empty(), "discard remote: full copy local -> peer (the peer's writes"
                        + " are not known here); " + figures);
    }

    /**
     * The decision once the peer's marked regions are known (the peer is another replicator and
     * told them in the handshake): every copy that is not a full one becomes the local owed
     * regions plus the peer's marked regions, in the decided direction. After a failover the new
     * primary's writes are owed on its side and the old primary's activity set is marked on its
     * side: their union is what may differ, never the whole volume. A blank peer (PEER_BLANK)
     * still gets everything; a split brain still copies nothing until resolved.
     */
    public SyncDecision withPeerMarks(Optional<BitSet> peerMarked) {
        if (peerMarked.isEmpty() || outcome == Outcome.PEER_BLANK || outcome == Outcome.SPLIT_BRAIN
                || copy == Copy.NONE) {
            return this;
        }
        String what = direction == SyncDirection.PEER_TO_LOCAL ? "peer -> local" : "local -> peer";
        String cut = message.contains(";") ? message.substring(message.indexOf(';')) : "";
        return new SyncDecision(outcome, direction, Copy.OWED_AND_PEER_DIRTY,
                peerMarked.map(b -> (BitSet) b.clone()), outcomeText() + ": owed and peer-marked regions ("
                        + peerMarked.get().cardinality() + " marked on the peer) " + what + cut);
    }

    private String outcomeText() {
        return switch (outcome) {
            case INITIAL -> "never in sync";
            case IN_SYNC -> "in sync";
            case LOCAL_NEWER -> "local wrote while apart";
            case PEER_NEWER -> "peer wrote while apart";
            case DISCARD_LOCAL -> "discard local";
            case DISCARD_REMOTE -> "discard remote";
            default -> outcome.name().toLowerCase();
        };
    }

    /** Whether this decision refuses to copy anything (split brain). */
    public boolean refused() {
        return outcome == Outcome.SPLIT_BRAIN;
    }

    /**
     * The generations to store once the resync completed: both sides in sync at their current
     * figures. When local was the source, the caller first sets the peer's generation to
     * {@code current.local()} and passes that as {@code peerGeneration}.
     */
    public static Generations inSync(Generations current, long peerGeneration) {
        return new Generations(current.local(), current.local(), peerGeneration);
    }

    private static String figures(Generations local, long peerGeneration) {
        return String.format("local generation=%d syncedLocal=%d syncedPeer=%d,"
                + " peer generation=%d", local.local(), local.syncedLocal(), local.syncedPeer(),
                peerGeneration);
    }
}
