package io.mirrorgate.replicator.generation;

/** How an operator (or a configured policy) resolves a split brain: which side's writes to drop. */
public enum SplitBrainResolution {
    /** {@code --discard-local}: the peer wins; the local replica is overwritten from it. */
    DISCARD_LOCAL,
    /** {@code --discard-remote}: the local replica wins; the peer is overwritten from it. */
    DISCARD_REMOTE;

    /** Parses {@code discard-local}, {@code --discard-remote}, {@code DISCARD_LOCAL}, .... */
    public static SplitBrainResolution parse(String text) {
        String name = text.replaceFirst("^--", "").replace('-', '_');
        for (SplitBrainResolution r : values()) {
            if (r.name().equalsIgnoreCase(name)) {
                return r;
            }
        }
        throw new IllegalArgumentException(
                "split-brain resolution: " + text + " (expected: discard-local or discard-remote)");
    }
}
