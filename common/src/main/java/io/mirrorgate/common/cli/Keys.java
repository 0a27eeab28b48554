package io.mirrorgate.common.cli;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.common.error.Reasons;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;

/** Shared key files: 32 random bytes, mode 0600; read by every program that authenticates a peer. */
public final class Keys {
    private Keys() {}

    /** The shortest shared key accepted, in bytes. */
    public static final int MIN_KEY_BYTES = 16;

    /** Reads the shared key file: it must exist and hold at least {@value #MIN_KEY_BYTES} bytes. */
    public static byte[] read(Path keyFile) {
        byte[] key;
        try {
            key = Files.readAllBytes(keyFile);
        } catch (IOException e) {
            throw new MirrorgateException(e instanceof java.nio.file.AccessDeniedException
                    ? ErrorCode.EACCES : ErrorCode.ENOENT, "cannot read key file " + keyFile + ": "
                    + Reasons.fileReason(e) + " (create one with: ggate-server keygen " + keyFile + ")", e);
        }
        if (key.length < MIN_KEY_BYTES) {
            throw new MirrorgateException(ErrorCode.EINVAL, "key file " + keyFile + ": " + key.length
                    + " bytes (expected: at least " + MIN_KEY_BYTES + " bytes of secret; create one with:"
                    + " ggate-server keygen --force " + keyFile + ")");
        }
        return key;
    }

    /** Writes a new random key to {@code file}; refuses to overwrite unless {@code force}. */
    public static void generate(Path file, boolean force) throws IOException {
        if (Files.exists(file) && !force) {
            throw new MirrorgateException(ErrorCode.EINVAL, "key file " + file
                    + " exists (use --force to replace it; every peer then needs the new key)");
        }
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-------")));
        Files.write(file, key, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
    }
}
