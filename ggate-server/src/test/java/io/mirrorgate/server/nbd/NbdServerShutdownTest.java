package io.mirrorgate.server.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.server.nbdprotocol.NbdConstants;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.SingleExportResolver;
import io.mirrorgate.server.testing.ForwardingDevice;
import io.mirrorgate.server.testing.Futures;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link NbdServer#close()} lets acknowledged work finish: nothing in flight is lost. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NbdServerShutdownTest {
    private NbdServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void closeWaitsForInFlightWritesToReplyThenClosesConnections() throws Exception {
        MemoryBlockDevice memory = new MemoryBlockDevice("vol", 1 << 20, 512, false);
        CompletableFuture<Void> gate = new CompletableFuture<>();
        CountDownLatch arrived = new CountDownLatch(1);
        ForwardingDevice slow = new ForwardingDevice(memory) {
            @Override
            public CompletableFuture<Void> write(long offset, ByteBuf data, boolean fua) {
                arrived.countDown();
                return gate.thenComposeAsync(v -> delegate.write(offset, data, fua));
            }
        };
        server = NbdServer.start(new SingleExportResolver("vol", slow, Access.RW), "127.0.0.1", 0);
        try (RawNbdClient client = new RawNbdClient(server.port())) {
            assertEquals(NbdConstants.REP_ACK, client.go("vol", true).type());
            byte[] data = TestData.randomBytes(4, 4096);
            client.sendRequest(NbdConstants.CMD_FLAG_FUA, NbdConstants.CMD_WRITE, 1, 0, 4096, data);
            assertTrue(arrived.await(10, TimeUnit.SECONDS));

            CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close,
                    r -> new Thread(r, "closer").start());
            Futures.assertStaysPending("close waits for the write in flight", closing, Duration.ofMillis(200));
            gate.complete(null);

            RawNbdClient.Reply reply = client.readReply(true, 0);
            assertEquals(1, reply.cookie());
            assertEquals(0, reply.error());
            assertTrue(client.closedByServer());
            closing.get(20, TimeUnit.SECONDS);
            assertEquals(4096, memory.bytesWritten());
        }
    }
}
