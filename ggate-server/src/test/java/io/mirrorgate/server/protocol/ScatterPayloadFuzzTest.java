package io.mirrorgate.server.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.device.Scatter;
import io.mirrorgate.server.testing.FuzzInput;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A WRITE_SCATTERED payload from a peer, arbitrary or a valid one mutated: decoding gives a
 * scatter whose data is exactly what follows the table, or refuses it with EINVAL; nothing else
 * (no other exception, no read past the payload).
 */
class ScatterPayloadFuzzTest {
    private static byte[] valid(long[] offsets, int[] lengths) {
        ByteBuf table = ScatterPayload.table(new Scatter(offsets, lengths), ByteBufAllocator.DEFAULT);
        try {
            long bytes = 0;
            for (int n : lengths) {
                bytes += n;
            }
            byte[] out = new byte[table.readableBytes() + (int) bytes];
            table.getBytes(table.readerIndex(), out, 0, table.readableBytes());
            return out;
        } finally {
            table.release();
        }
    }

    @Test
    void decodingEitherFitsThePayloadOrRefusesIt() {
        List<byte[]> seeds = List.of(
                valid(new long[] {0}, new int[] {512}),
                valid(new long[] {0, 4096, 1 << 20}, new int[] {4096, 512, 1024}),
                valid(new long[] {7L << 30, (7L << 30) + 8192}, new int[] {8, 16}));
        FuzzInput.forEach(seeds, 200, c -> {
            ByteBuf payload = Unpooled.wrappedBuffer(c.input());
            Scatter scatter;
            try {
                scatter = ScatterPayload.decode(payload);
            } catch (MirrorgateException e) {
                assertEquals(ErrorCode.EINVAL, e.code(), e.getMessage());
                assertTrue(e.getMessage().startsWith("scattered write: "), e.getMessage());
                return;
            }
            assertEquals(scatter.bytes(), payload.readableBytes(), "the data is what follows the table");
            assertEquals(ScatterPayload.tableLength(scatter.count()), payload.readerIndex());
            for (int i = 1; i < scatter.count(); i++) {
                assertTrue(scatter.offset(i) >= scatter.offset(i - 1) + scatter.length(i - 1));
            }
            ByteBufUtil.getBytes(payload); // the data is readable as a whole
        });
    }
}
