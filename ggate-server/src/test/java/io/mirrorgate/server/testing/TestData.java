package io.mirrorgate.server.testing;

import io.mirrorgate.server.device.Scatter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;

/** Random blocks and checksums of files, for tests that prove data. */
public final class TestData {
    private TestData() {}

    /** {@code length} pseudo-random bytes from {@code seed} (the same seed gives the same bytes). */
    public static byte[] randomBytes(long seed, int length) {
        byte[] out = new byte[length];
        new Random(seed).nextBytes(out);
        return out;
    }

    /** Creates a sparse file of {@code size} bytes. */
    public static Path sparseFile(Path file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.READ)) {
            ch.truncate(size);
            if (ch.size() < size) {
                ch.write(ByteBuffer.wrap(new byte[1]), size - 1);
            }
        }
        return file;
    }

    /** SHA-256 of a byte array, as hex. */
    public static String sha256(byte[] data) {
        return HexFormat.of().formatHex(digest().digest(data));
    }

    /** SHA-256 of a whole file, as hex. */
    public static String sha256(Path file) throws IOException {
        MessageDigest md = digest();
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** SHA-256 of {@code length} bytes of a file at {@code offset}, as hex. */
    public static String sha256(Path file, long offset, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (buf.hasRemaining()) {
                if (ch.read(buf, offset + buf.position()) < 0) {
                    break;
                }
            }
        }
        return HexFormat.of().formatHex(digest().digest(buf.array()));
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The bytes of {@code image} in the ranges of {@code scatter}, back to back: what it wrote. */
    public static byte[] gather(byte[] image, Scatter scatter) {
        byte[] out = new byte[Math.toIntExact(scatter.bytes())];
        int at = 0;
        for (int i = 0; i < scatter.count(); i++) {
            System.arraycopy(image, Math.toIntExact(scatter.offset(i)), out, at, scatter.length(i));
            at += scatter.length(i);
        }
        return out;
    }
}
