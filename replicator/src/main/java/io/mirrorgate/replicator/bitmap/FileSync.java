package io.mirrorgate.replicator.bitmap;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.common.error.Reasons;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Small durable-file helpers: directory fsync after a create or rename, careful close. */
public final class FileSync {
    private FileSync() {}

    /** Syncs the directory holding {@code file}, so that its creation or rename survives a crash. */
    public static void syncDirectory(Path file) {
        Path dir = file.toAbsolutePath().getParent();
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            throw new MirrorgateException(ErrorCode.EIO, "cannot sync directory " + dir + ": " + Reasons.fileReason(e), e);
        }
    }

    /** Closes {@code ch}; a failure is reported as EIO naming {@code path}. */
    static void close(FileChannel ch, Path path) {
        try {
            ch.close();
        } catch (IOException e) {
            throw new MirrorgateException(ErrorCode.EIO, "cannot close " + path + ": " + Reasons.fileReason(e), e);
        }
    }

    /** Closes {@code ch} (if any) after {@code failure}, adding a close failure as suppressed. */
    static void closeQuietlyAfter(Throwable failure, FileChannel ch) {
        if (ch == null) {
            return;
        }
        try {
            ch.close();
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }
}
