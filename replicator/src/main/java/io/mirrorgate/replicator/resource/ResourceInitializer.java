package io.mirrorgate.replicator.resource;

import io.mirrorgate.replicator.bitmap.FileSync;
import io.mirrorgate.replicator.bitmap.MetadataFile;
import io.mirrorgate.replicator.config.ResourceConfig;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.common.error.Reasons;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code replicator create RESOURCE}: makes a resource's metadata file (every region marked, so
 * the first connection is a full sync; initial generations), sized from the local replica, and
 * optionally creates a missing local image file first. Also opens the metadata of a configured
 * resource with every check against its configuration.
 */
public final class ResourceInitializer {
    private static final Logger LOG = LoggerFactory.getLogger(ResourceInitializer.class);

    private ResourceInitializer() {}

    /** What {@link #create} made. */
    public record Created(Path metadata, Path local, boolean localCreated, long volumeSize, long regionSize,
            long regionCount, long metadataBytes) {}

    /** Creates the metadata of {@code config}; the local replica must exist. */
    public static Created create(ResourceConfig config, boolean force) {
        return create(config, force, OptionalLong.empty());
    }

    /**
     * Creates the metadata of {@code config}. Existing metadata is replaced only with {@code force}
     * (its dirty-region state is lost: the next connection is a full sync). With {@code size}, a
     * missing local image file is created (sparse) with that many bytes; an existing one must
     * already have that size. Everything is checked before anything is written.
     */
    public static Created create(ResourceConfig config, boolean force, OptionalLong size) {
        Path local = config.local();
        Path metadata = config.metadata();
        String where = "resource " + config.name() + ": ";
        if (Files.exists(metadata) && !force) {
            throw new MirrorgateException(ErrorCode.EINVAL, where + "metadata " + metadata + " already exists "
                    + "(expected: no metadata; use --force to replace it, the next connection is then a full sync)");
        }
        if (Files.exists(metadata)) {
            refuseIfInUse(metadata, where);
        }
        boolean createLocal = !Files.exists(local);
        if (size.isPresent()) {
            long bytes = size.getAsLong();
            if (bytes <= 0 || bytes % 512 != 0) {
                throw new MirrorgateException(ErrorCode.EINVAL, where + "--size " + bytes
                        + " (expected: a positive multiple of 512 bytes)");
            }
            if (!createLocal && volumeSize(local) != bytes) {
                throw new MirrorgateException(ErrorCode.EINVAL, where + "local replica " + local + " exists with "
                        + volumeSize(local) + " bytes (expected: " + bytes + " as given by --size, or no --size)");
            }
        } else if (createLocal) {
            throw new MirrorgateException(ErrorCode.ENOENT, where + "local replica " + local
                    + " does not exist (expected: an image file or block device; use --size to create an image file)");
        }
        if (createLocal) {
            createImage(local, size.getAsLong());
        }
        long volumeSize = volumeSize(local);
        Path fresh = metadata.resolveSibling(metadata.getFileName() + ".new");
        try {
            Files.deleteIfExists(fresh);
            MetadataFile.create(fresh, config.name(), config.node(), volumeSize, config.regionSize());
            Files.move(fresh, metadata, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new MirrorgateException(ErrorCode.EIO, where + "cannot create metadata " + metadata + ": " + Reasons.fileReason(e), e);
        }
        FileSync.syncDirectory(metadata);
        long regionCount = (volumeSize + config.regionSize() - 1) / config.regionSize();
        LOG.info("resource created resource={} local={} metadata={} volumeSize={} regions={} localCreated={}",
                config.name(), local, metadata, volumeSize, regionCount, createLocal);
        return new Created(metadata, local, createLocal, volumeSize, config.regionSize(), regionCount,
                MetadataFile.fileSize(regionCount));
    }

    private static void refuseIfInUse(Path metadata, String where) {
        try (FileChannel ch = FileChannel.open(metadata, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MetadataFile.checkNotInUse(ch, metadata);
        } catch (IOException e) {
            throw new MirrorgateException(ErrorCode.EIO, where + "cannot check metadata " + metadata + ": " + Reasons.fileReason(e), e);
        }
    }

    /**
     * Opens {@code config}'s metadata, checked against the configuration (resource name, region
     * size) and the local replica's current size.
     */
    public static MetadataFile openMetadata(ResourceConfig config) {
        MetadataFile file = MetadataFile.open(config.metadata(), volumeSize(config.local()));
        String problem = null;
        if (!file.resource().equals(config.name())) {
            problem = "belongs to resource \"" + file.resource() + "\" (expected: \"" + config.name() + "\")";
        } else if (file.regionSize() != config.regionSize()) {
            problem = "has region size " + file.regionSize() + " but region_size is " + config.regionSize()
                    + " in " + config.source() + " (expected: equal; recreate the metadata with create --force)";
        }
        if (problem != null) {
            file.close();
            throw new MirrorgateException(ErrorCode.EINVAL, "resource " + config.name() + ": metadata "
                    + config.metadata() + " " + problem);
        }
        return file;
    }

    /**
     * The size in bytes of a local replica: a regular file's length, or a block device's size
     * ({@link FileChannel#size} asks the kernel for it on Linux).
     */
    public static long volumeSize(Path local) {
        try {
            BasicFileAttributes attrs = Files.readAttributes(local, BasicFileAttributes.class);
            if (attrs.isRegularFile()) {
                return attrs.size();
            }
            if (attrs.isDirectory()) {
                throw new MirrorgateException(ErrorCode.EINVAL, local + " is a directory (expected: an image "
                        + "file or a block device)");
            }
            try (FileChannel ch = FileChannel.open(local, StandardOpenOption.READ)) {
                return ch.size();
            }
        } catch (IOException e) {
            throw new MirrorgateException(ErrorCode.EIO, "cannot determine the size of " + local + ": " + Reasons.fileReason(e), e);
        }
    }

    private static void createImage(Path local, long size) {
        try (RandomAccessFile file = new RandomAccessFile(local.toFile(), "rw")) {
            file.setLength(size);
            file.getFD().sync();
        } catch (IOException e) {
            throw new MirrorgateException(ErrorCode.EIO, "cannot create image " + local + ": " + Reasons.fileReason(e), e);
        }
        FileSync.syncDirectory(local);
    }
}
