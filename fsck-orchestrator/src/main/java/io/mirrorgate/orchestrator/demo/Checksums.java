package io.mirrorgate.orchestrator.demo;

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

/** SHA-256 of images and of blocks in them, for the demo's proofs. */
final class Checksums {
    private Checksums() {}

    static String sha256(Path file) throws IOException {
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

    /**
     * Checks that every block was written at its offset in {@code image}, in write order (a later
     * block overwrites an earlier one where they overlap, so each is compared after replaying).
     */
    static void verifyInFile(Path image, long[] offsets, byte[][] blocks) throws IOException {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            for (int i = 0; i < blocks.length; i++) {
                byte[] expected = blocks[i].clone();
                for (int j = i + 1; j < blocks.length; j++) {
                    overlay(expected, offsets[i], blocks[j], offsets[j]);
                }
                ByteBuffer actual = ByteBuffer.allocate(expected.length);
                while (actual.hasRemaining() && ch.read(actual, offsets[i] + actual.position()) > 0) {
                    continue;
                }
                if (!HexFormat.of().formatHex(digest().digest(actual.array()))
                        .equals(HexFormat.of().formatHex(digest().digest(expected)))) {
                    throw new IOException(image + ": block written at " + offsets[i]
                            + " is not in the image");
                }
            }
        }
    }

    private static void overlay(byte[] target, long targetOffset, byte[] source, long sourceOffset) {
        long start = Math.max(targetOffset, sourceOffset);
        long end = Math.min(targetOffset + target.length, sourceOffset + source.length);
        if (start < end) {
            System.arraycopy(source, (int) (start - sourceOffset), target,
                    (int) (start - targetOffset), (int) (end - start));
        }
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
