package io.mirrorgate.replicator.resource;

import io.mirrorgate.common.lifecycle.CloseStack;
import io.mirrorgate.replicator.bitmap.DirtyRegions;
import io.mirrorgate.replicator.generation.GenerationStore;
import io.mirrorgate.server.device.BlockDevice;

/**
 * One resource's parts as {@link ResourceAssembly} opened them: the local replica, the bitmap and
 * generation store, then whatever the owner added (the replica's endpoint and listener, the
 * {@link PrimarySide}), all on one {@link CloseStack}. Closing it, whether the resource ran or
 * its opening failed half way, closes them in the reverse order of opening.
 */
public final class Resource implements AutoCloseable {
    private final String name;
    private final CloseStack parts;
    private BlockDevice local;
    private DirtyRegions dirty;
    private GenerationStore store;
    private PrimarySide<?> primary;

    Resource(String name) {
        this.name = name;
        this.parts = new CloseStack("resource " + name);
    }

    void local(BlockDevice device) {
        this.local = parts.push(device);
    }

    void bitmap(ResourceAssembly.Bitmap bitmap) {
        this.dirty = parts.push(bitmap.dirty());
        this.store = bitmap.store();
    }

    void primary(PrimarySide<?> side) {
        this.primary = side;
    }

    /** The parts so far, for an opener that pushes helpers of its own. */
    CloseStack parts() {
        return parts;
    }

    public String name() {
        return name;
    }

    /** The local replica. */
    public BlockDevice local() {
        return local;
    }

    /** The dirty-region bitmap. */
    public DirtyRegions dirty() {
        return dirty;
    }

    /** Where the generations are kept (the metadata file, in the daemon). */
    public GenerationStore store() {
        return store;
    }

    /** The primary side {@link ResourceAssembly#primary} opened; null when the owner opens its own. */
    public PrimarySide<?> primary() {
        return primary;
    }

    /** Closes every part, the last opened first; failures after the first are suppressed. */
    @Override
    public void close() {
        parts.close();
    }

    /** Closes every part after {@code failure}, into which close failures are suppressed. */
    public void closeAfter(Throwable failure) {
        parts.closeAfter(failure);
    }
}
