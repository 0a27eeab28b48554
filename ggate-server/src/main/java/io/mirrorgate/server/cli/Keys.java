package io.mirrorgate.server.cli;

import io.mirrorgate.server.error.ErrorCode;
import io.mirrorgate.server.error.MirrorgateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;

/** Shared key files: 32 random bytes, mode 0600. */
public final class Keys {
    private Keys() {}

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
