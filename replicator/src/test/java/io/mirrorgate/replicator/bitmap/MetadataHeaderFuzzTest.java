package io.mirrorgate.replicator.bitmap;

import io.mirrorgate.replicator.generation.Generations;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.UUID;
import java.util.zip.CRC32C;
import io.mirrorgate.server.testing.FuzzInput;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The metadata header decoder fed 512-byte slots: arbitrary, and a valid header mutated with its
 * checksum fixed up (so that the fields past the checksum are reached): nothing but {@link
 * IllegalArgumentException} (a copy that is not valid) escapes.
 */
class MetadataHeaderFuzzTest {
    private static final byte[] VALID = new MetadataHeader(3, new UUID(1, 2), "r0", "alpha", "beta",
            new Generations(5, 4, 4), true, 4L << 20, 1L << 30, 256, 4096, 32, 7).encode();

    @Test
    void arbitrarySlots() {
        FuzzInput.forEach(List.of(), 0, c -> {
            byte[] slot = new byte[MetadataHeader.SIZE];
            c.random().nextBytes(slot);
            decode(slot);
        });
    }

    @Test
    void mutatedValidHeadersWithTheirChecksumFixed() {
        FuzzInput.forEach(List.of(), 0, c -> mutateAndDecode(c.random()));
    }

    private static void mutateAndDecode(Random random) {
        byte[] slot = VALID.clone();
        for (int i = random.nextInt(8); i >= 0; i--) {
            slot[random.nextInt(MetadataHeader.SIZE - 4)] = (byte) random.nextInt(256);
        }
        CRC32C crc = new CRC32C();
        crc.update(slot, 0, MetadataHeader.SIZE - 4);
        ByteBuffer.wrap(slot).order(ByteOrder.LITTLE_ENDIAN).putInt(MetadataHeader.SIZE - 4, (int) crc.getValue());
        decode(slot);
    }

    private static void decode(byte[] slot) {
        try {
            MetadataHeader.decode(slot);
        } catch (IllegalArgumentException notValid) {
            // the decoder's own refusal
        }
    }
}
