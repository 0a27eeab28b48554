package io.mirrorgate.server.nbdclient;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.SingleExportResolver;
import io.mirrorgate.server.nbd.NbdServer;
import io.mirrorgate.server.testing.ForwardingDevice;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link NbdClient}'s pipelined batches: every request gets its reply, in any order. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NbdClientPipelinedTest {
    private static final int BLOCK = 64 * 1024;
    private static final long[] OFFSETS = {0, 3 * BLOCK, BLOCK, 7 * BLOCK, 2 * BLOCK, 5 * BLOCK};

    private NbdServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void pipelinedWritesLandAtEveryOffsetAndPipelinedReadsReturnThem() throws Exception {
        MemoryBlockDevice memory = new MemoryBlockDevice("vol", 1 << 20, 512, false);
        server = NbdServer.start(new SingleExportResolver("vol", memory, Access.RW), "127.0.0.1", 0);
        byte[] data = TestData.randomBytes(11, 2 * BLOCK);
        byte[] first = Arrays.copyOf(data, BLOCK);
        try (NbdClient client = NbdClient.connect("127.0.0.1", server.port(), "vol")) {
            client.writePipelined(OFFSETS, OFFSETS.length, data, BLOCK, false);
            assertEquals((long) OFFSETS.length * BLOCK, memory.bytesWritten());
            for (long offset : OFFSETS) {
                assertArrayEquals(first, client.read(offset, BLOCK), "block at " + offset);
            }
            assertArrayEquals(new byte[BLOCK], client.read(4 * BLOCK, BLOCK), "untouched block");

            byte[] sink = new byte[2 * BLOCK];
            client.readPipelined(OFFSETS, OFFSETS.length, BLOCK, sink);
            assertArrayEquals(first, Arrays.copyOf(sink, BLOCK));
            client.write(0, TestData.randomBytes(12, 512), false);
        }
    }

    @Test
    void repliesThatComeBackOutOfOrderAreMatchedByCookie() throws Exception {
        MemoryBlockDevice memory = new MemoryBlockDevice("vol", 1 << 20, 512, false);
        CompletableFuture<Void> lastArrived = new CompletableFuture<>();
        ForwardingDevice reordering = new ForwardingDevice(memory) {
            @Override
            public CompletableFuture<Void> write(long offset, ByteBuf data, boolean fua) {
                if (offset == OFFSETS[0]) {
                    return lastArrived.thenComposeAsync(v -> delegate.write(offset, data, fua));
                }
                if (offset == OFFSETS[OFFSETS.length - 1]) {
                    lastArrived.complete(null);
                }
                return delegate.write(offset, data, fua);
            }
        };
        server = NbdServer.start(new SingleExportResolver("vol", reordering, Access.RW),
                "127.0.0.1", 0);
        byte[] data = TestData.randomBytes(13, BLOCK);
        try (NbdClient client = NbdClient.connect("127.0.0.1", server.port(), "vol")) {
            client.writePipelined(OFFSETS, OFFSETS.length, data, BLOCK, true);
            assertEquals((long) OFFSETS.length * BLOCK, memory.bytesWritten());
            assertArrayEquals(data, client.read(OFFSETS[0], BLOCK));
        }
    }

    @Test
    void anErrorReplyInABatchIsThrownWithItsCode() throws Exception {
        MemoryBlockDevice memory = new MemoryBlockDevice("vol", 1 << 20, 512, true);
        server = NbdServer.start(new SingleExportResolver("vol", memory, Access.RW), "127.0.0.1", 0);
        try (NbdClient client = NbdClient.connect("127.0.0.1", server.port(), "vol")) {
            MirrorgateException e = assertThrows(MirrorgateException.class, () -> client.writePipelined(
                    new long[] {0, BLOCK}, 2, new byte[BLOCK], BLOCK, false));
            // NBD has no EROFS on the wire: the server sends a refused write as EPERM.
            assertEquals(ErrorCode.EPERM, e.code(), e.getMessage());
            assertEquals(0, memory.bytesWritten());
        }
    }
}
