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

    /** Checks that each of {@code blocks} stands at its offset in {@code image}. */
    static void verifyInFile(Path image, long[] offsets, byte[][] blocks) throws IOException {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            for (int i = 0; i < blocks.length; i++) {
                ByteBuffer actual = ByteBuffer.allocate(blocks[i].length);
                while (actual.hasRemaining() && ch.read(actual, offsets[i] + actual.position()) > 0) {
                    // read until the block is complete or the file ends
                }
                if (!MessageDigest.isEqual(digest().digest(actual.array()), digest().digest(blocks[i]))) {
                    throw new IOException(image + ": the block written at offset " + offsets[i]
                            + " is not in the image");
                }
            }
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
