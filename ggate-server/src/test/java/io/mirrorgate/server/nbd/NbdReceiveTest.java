package io.mirrorgate.server.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.SingleExportResolver;
import io.mirrorgate.server.nbdprotocol.NbdConstants;
import io.mirrorgate.server.protocol.PhasedReceiveAllocator;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import io.netty.channel.Channel;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How the NBD server reads its socket: one small read per turn while options are haggled, large
 * reads once transmission starts. Netty keeps a channel's first receive handle, so setting another
 * allocator when transmission starts changed nothing: every read stayed at 4 KiB, one per turn,
 * and a 1 MiB WRITE took 256 system calls (half the throughput of nbdkit on sequential writes).
 */
@Timeout(60)
class NbdReceiveTest {
    private static final int MIB = 1 << 20;
    private final MemoryBlockDevice device = new MemoryBlockDevice("vol", 32L << 20, 512, false);
    private NbdServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void transmissionReadsGrowBeyondTheOptionPhasesReadsAndWritesLandIntact() throws Exception {
        server = NbdServer.start(new SingleExportResolver("vol", device, Access.RW), "127.0.0.1", 0);
        byte[] data = new byte[MIB];
        new Random(42).nextBytes(data);
        try (RawNbdClient client = new RawNbdClient(server.port())) {
            client.go("vol", false);
            Channel ch = server.connections().iterator().next();
            assertInstanceOf(PhasedReceiveAllocator.class, ch.config().getRecvByteBufAllocator());
            for (int i = 0; i < 8; i++) {
                client.sendRequest(0, NbdConstants.CMD_WRITE, i, (long) i * MIB, MIB, data);
                assertEquals(0, client.readReply(false, 0).error(), "WRITE " + i);
            }
            int guess = ch.eventLoop().submit(() -> ch.unsafe().recvBufAllocHandle().guess()).get();
            assertTrue(guess > 4096, "socket reads of " + guess + " bytes after 8 MiB of WRITEs"
                    + " (the option phase reads 4096)");
            client.sendRequest(0, NbdConstants.CMD_READ, 99, 7L * MIB, MIB, null);
            assertArrayEquals(data, client.readReply(false, MIB).data());
        }
    }
}
