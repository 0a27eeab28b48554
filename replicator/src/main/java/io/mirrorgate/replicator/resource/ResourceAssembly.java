package io.mirrorgate.replicator.resource;

import io.mirrorgate.common.lifecycle.CloseStack;
import io.mirrorgate.replicator.bitmap.DirtyRegions;
import io.mirrorgate.replicator.bitmap.PersistentDirtyRegions;
import io.mirrorgate.replicator.generation.GenerationStore;
import io.mirrorgate.server.device.BlockDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * How every resource is put together, by the daemon ({@code daemon.RunningResource}), the
 * benchmarks ({@code bench.loopback.LoopbackMirror}) and the tests' harnesses alike: the local
 * replica, then the bitmap and generation store, then the owner's further parts in the order
 * given (the replica's endpoint and listener, the {@link PrimarySide} with the peer link and the
 * runtime). Each part is pushed onto the {@link Resource}'s one close stack as it opens, so that
 * a failure half way and the normal close are the same code: the stack, in reverse.
 *
 * <pre>{@code
 * Resource r = ResourceAssembly.named("r0")
 *         .local(parts -> LocalBlockDevice.open(image, LocalDeviceOptions.defaults()))
 *         .bitmap((local, parts) -> Bitmap.of(PersistentDirtyRegions.open(meta, local.size(), 64)))
 *         .primary(res -> PrimarySide.builder(res, options, parts -> link))
 *         .open();
 * }</pre>
 */
public final class ResourceAssembly {
    /** Opens one part; it may push helpers of its own onto {@code parts} (closed after the part). */
    @FunctionalInterface
    public interface Opener<T> {
        T open(CloseStack parts);
    }

    /** Opens the bitmap, knowing the local replica (its size). */
    @FunctionalInterface
    public interface BitmapOpener {
        Bitmap open(BlockDevice local, CloseStack parts);
    }

    /** Opens a further part on the resource so far; returns what closes it, or null for nothing. */
    @FunctionalInterface
    public interface Part {
        AutoCloseable open(Resource resource);
    }

    /** The bitmap (closed with the resource) and the generation store it keeps, if it keeps one. */
    public record Bitmap(DirtyRegions dirty, GenerationStore store) {
        public Bitmap {
            Objects.requireNonNull(dirty, "dirty");
            Objects.requireNonNull(store, "store");
        }

        /** The daemon's bitmap: the metadata file holds the regions and the generations. */
        public static Bitmap of(PersistentDirtyRegions regions) {
            return new Bitmap(regions, regions.metadata());
        }
    }

    private final String name;
    private Opener<? extends BlockDevice> local;
    private BitmapOpener bitmap;
    private final List<Part> then = new ArrayList<>();
    private Function<Resource, PrimarySide.Builder<?>> primary;

    private ResourceAssembly(String name) {
        this.name = Objects.requireNonNull(name, "name");
    }

    /** An assembly of resource {@code name}; {@link #local} and {@link #bitmap} are required. */
    public static ResourceAssembly named(String name) {
        return new ResourceAssembly(name);
    }

    /** How the local replica opens (a {@code LocalBlockDevice}, or an in-memory one in tests). */
    public ResourceAssembly local(Opener<? extends BlockDevice> opener) {
        this.local = opener;
        return this;
    }

    /** How the bitmap and generation store open. */
    public ResourceAssembly bitmap(BitmapOpener opener) {
        this.bitmap = opener;
        return this;
    }

    /** A further part, opened after those before it and closed before them. */
    public ResourceAssembly then(Part part) {
        then.add(Objects.requireNonNull(part, "part"));
        return this;
    }

    /**
     * A primary side for the resource's whole life (the benchmarks, the tests' harness), opened
     * last and not started; {@link Resource#primary()} returns it. The daemon, whose role changes,
     * opens its sides itself.
     */
    public ResourceAssembly primary(Function<Resource, PrimarySide.Builder<?>> side) {
        this.primary = side;
        return this;
    }

    /** Opens every part in order; a failure half way closes what was opened, in reverse, and is thrown. */
    public Resource open() {
        Objects.requireNonNull(local, "resource " + name + ": no local replica");
        Objects.requireNonNull(bitmap, "resource " + name + ": no bitmap");
        Resource resource = new Resource(name);
        try {
            resource.local(local.open(resource.parts()));
            resource.bitmap(bitmap.open(resource.local(), resource.parts()));
            for (Part part : then) {
                AutoCloseable closer = part.open(resource);
                if (closer != null) {
                    resource.parts().push(closer);
                }
            }
            if (primary != null) {
                resource.primary(resource.parts().push(primary.apply(resource).open()));
            }
            return resource;
        } catch (RuntimeException | Error e) {
            resource.closeAfter(e);
            throw e;
        }
    }
}
