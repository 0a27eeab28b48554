package io.mirrorgate.replicator.role;

import io.mirrorgate.replicator.bitmap.FileSync;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.common.error.Reasons;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * Whether a replica is inconsistent: a primary began bringing it up to date (a resync) and has
 * not yet said it finished. Between the two, some blocks are new and others old, a mix no
 * filesystem can trust, so a promotion is refused without {@code --accept-inconsistent} (DRBD's
 * "Inconsistent"). Kept durably as a small file beside the metadata ({@code <metadata>.sync-target},
 * one line: the primary's node and the time), so that a crash or restart mid-resync keeps it; the
 * metadata's own layout is not touched. Thread-safe through the endpoint's single I/O thread and
 * the role lock; {@link #describe} may be read from anywhere.
 */
public final class SyncTargetMark {
    private final Path file;
    private volatile String description;

    private SyncTargetMark(Path file, String description) {
        this.file = file;
        this.description = description;
    }

    /** The mark of the resource whose metadata file is {@code metadata}, as found on disk. */
    public static SyncTargetMark of(Path metadata) {
        Path file = metadata.resolveSibling(metadata.getFileName() + ".sync-target");
        try {
            return new SyncTargetMark(file, Files.readString(file, StandardCharsets.UTF_8).strip());
        } catch (NoSuchFileException e) {
            return new SyncTargetMark(file, null);
        } catch (IOException e) {
            throw new MirrorgateException(ErrorCode.EIO, file + ": cannot read the sync-target mark: "
                    + Reasons.fileReason(e), e);
        }
    }

    /** What made the replica inconsistent ("resync from node alpha started 2026-..."), or null. */
    public String describe() {
        return description;
    }

    /** Marks the replica inconsistent, durably, before the primary sends it anything. Idempotent. */
    public void set(String primaryNode) {
        if (description != null) {
            return;
        }
        String text = "resync from node " + primaryNode + " started " + Instant.now();
        try {
            ByteBuffer bytes = ByteBuffer.wrap((text + "\n").getBytes(StandardCharsets.UTF_8));
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                while (bytes.hasRemaining()) {
                    ch.write(bytes);
                }
                ch.force(true);
            }
        } catch (IOException e) {
            throw new MirrorgateException(ErrorCode.EIO, file + ": cannot write the sync-target mark: "
                    + Reasons.fileReason(e), e);
        }
        FileSync.syncDirectory(file);
        description = text;
    }

    /** The replica is consistent again (the resync completed, or a promotion was forced). */
    public void clear() {
        if (description == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new MirrorgateException(ErrorCode.EIO, file + ": cannot remove the sync-target mark: "
                    + Reasons.fileReason(e), e);
        }
        FileSync.syncDirectory(file);
        description = null;
    }
}
