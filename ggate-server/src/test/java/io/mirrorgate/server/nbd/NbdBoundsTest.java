package io.mirrorgate.server.nbd;

import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_DISC;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_READ;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.server.nbdprotocol.NbdConstants;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.Export;
import io.mirrorgate.server.export.ExportResolver;
import io.mirrorgate.server.export.SingleExportResolver;
import io.mirrorgate.server.guard.ConnectionLimits;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * NBD replies are never cut off by a close (issue 8, defect 2), and a client cannot hold memory
 * without bound: option replies it does not read, a partial WRITE, an idle connection (defect 3).
 */
@Timeout(60)
class NbdBoundsTest {
    private static final int BIG = 16 << 20;
    private final MemoryBlockDevice device = new MemoryBlockDevice("vol", 32 << 20, 512, false);
    private NbdServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private NbdServer start(ExportResolver resolver, ConnectionLimits limits) {
        return NbdServer.start(resolver, new InetSocketAddress("127.0.0.1", 0),
                NbdConstants.DEFAULT_MAX_PAYLOAD, null, "test", limits);
    }

    private RawNbdClient connectedWithData(byte[] data) throws Exception {
        device.write(0, Unpooled.wrappedBuffer(data), false).get();
        RawNbdClient client = new RawNbdClient(server.port());
        assertEquals(NbdConstants.REP_ACK, client.go("vol", false).type());
        return client;
    }

    @Test
    void aLargeReadFollowedAtOnceByDiscArrivesWhole() throws Exception {
        server = start(new SingleExportResolver("vol", device, Access.RW), ConnectionLimits.defaults());
        byte[] data = TestData.randomBytes(1, BIG);
        try (RawNbdClient client = connectedWithData(data)) {
            client.sendRequest(0, CMD_READ, 1, 0, BIG, null);
            client.sendRequest(0, CMD_DISC, 2, 0, 0, null);
            Thread.sleep(500); // a slow reader: the reply waits in the server's buffers
            RawNbdClient.Reply reply = client.readReply(false, BIG);
            assertEquals(0, reply.error());
            assertArrayEquals(data, reply.data());
            assertTrue(client.closedByServer());
        }
    }

    @Test
    void aShutdownWaitsForTheLastReplyToASlowReader() throws Exception {
        server = start(new SingleExportResolver("vol", device, Access.RW), ConnectionLimits.defaults());
        byte[] data = TestData.randomBytes(2, BIG);
        try (RawNbdClient client = connectedWithData(data)) {
            client.sendRequest(0, CMD_READ, 1, 0, BIG, null);
            Thread.sleep(300);
            NbdServer closing = server;
            server = null;
            CompletableFuture<Void> closed = CompletableFuture.runAsync(closing::close);
            Thread.sleep(300);
            RawNbdClient.Reply reply = client.readReply(false, BIG);
            assertArrayEquals(data, reply.data());
            closed.get();
        }
    }

    @Test
    void optionRepliesThatAreNotReadStopTheReadingOfOptions() throws Exception {
        AtomicInteger resolved = new AtomicInteger();
        ExportResolver counting = new ExportResolver() {
            private final SingleExportResolver inner = new SingleExportResolver("vol", device, Access.RW);

            @Override
            public Export resolve(String name, InetAddress client) {
                resolved.incrementAndGet();
                return inner.resolve(name, client);
            }

            @Override
            public List<String> list(InetAddress client) {
                return inner.list(client);
            }
        };
        server = start(counting, ConnectionLimits.defaults());
        int options = 1_000_000;
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(16 * 1024);
            s.connect(new InetSocketAddress("127.0.0.1", server.port()));
            s.setSoTimeout(10_000);
            DataInputStream in = new DataInputStream(s.getInputStream());
            in.readFully(new byte[18]);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeInt(NbdConstants.FLAG_FIXED_NEWSTYLE | NbdConstants.FLAG_NO_ZEROES);
            byte[] info = RawNbdClient.goData("vol");
            CompletableFuture<Void> flood = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < options; i++) {
                        out.writeLong(NbdConstants.IHAVEOPT);
                        out.writeInt(NbdConstants.OPT_INFO);
                        out.writeInt(info.length);
                        out.write(info);
                    }
                    out.flush();
                } catch (IOException closed) {
                    // the socket is closed at the end of the test
                }
            });
            // wait until the server stops answering (without back-pressure: when all are done)
            int answered = -1;
            for (int i = 0; i < 60 && answered != resolved.get(); i++) {
                answered = resolved.get();
                Thread.sleep(1000);
            }
            // the replies of 200,000 options (86 bytes each) exceed every buffer on the way
            assertTrue(answered < 200_000, answered + " of " + options + " options answered"
                    + " although no reply was read");
            s.close();
            flood.handle((v, e) -> null).get();
        }
    }

    @Test
    void aBurstOfRequestsInOneReadStartsNoMoreThanTheConnectionMayHaveInFlight() throws Exception {
        AtomicInteger reads = new AtomicInteger();
        io.mirrorgate.server.testing.ForwardingDevice counting =
                new io.mirrorgate.server.testing.ForwardingDevice(device) {
                    @Override
                    public CompletableFuture<io.netty.buffer.ByteBuf> read(long offset, int length) {
                        reads.incrementAndGet();
                        return super.read(offset, length);
                    }
                };
        server = start(new SingleExportResolver("vol", counting, Access.RW), ConnectionLimits.defaults());
        try (RawNbdClient client = new RawNbdClient(server.port())) {
            client.socket.setReceiveBufferSize(8192);
            assertEquals(NbdConstants.REP_ACK, client.go("vol", false).type());
            java.io.ByteArrayOutputStream burst = new java.io.ByteArrayOutputStream();
            java.io.DataOutputStream out = new java.io.DataOutputStream(burst);
            for (int i = 0; i < 2000; i++) { // 56 KB: one socket read, 2000 MiB of replies
                out.writeInt(NbdConstants.REQUEST_MAGIC);
                out.writeShort(0);
                out.writeShort(CMD_READ);
                out.writeLong(i);
                out.writeLong(0);
                out.writeInt(1 << 20);
            }
            client.out.write(burst.toByteArray());
            client.out.flush();
            int seen = -1;
            for (int i = 0; i < 20 && seen != reads.get(); i++) {
                seen = reads.get();
                Thread.sleep(500);
            }
            // 64 MiB in flight per connection, plus what the socket buffers took
            assertTrue(seen < 400, seen + " reads of 1 MiB started for a client that reads nothing");
        }
    }

    @Test
    void aClientThatReadsItsRepliesIsServedWhileAFloodHoldsTheServersBudget() throws Exception {
        server = start(new SingleExportResolver("vol", device, Access.RW),
                ConnectionLimits.defaults().withServerBytes(64L << 20));
        // 200 MiB of replies that are never read
        try (Socket flood = RawNbdClient.readFlood(server.port(), "vol", 200, 1 << 20)) {
            Thread.sleep(1000); // the flood now holds the server's 64 MiB
            try (RawNbdClient good = new RawNbdClient(server.port())) {
                good.socket.setSoTimeout(5000);
                assertEquals(NbdConstants.REP_ACK, good.go("vol", false).type());
                byte[] data = TestData.randomBytes(9, 4096);
                good.sendRequest(0, CMD_WRITE, 1, 1 << 20, data.length, data);
                assertEquals(0, good.readReply(false, 0).error());
                good.sendRequest(0, CMD_READ, 2, 1 << 20, data.length, null);
                assertArrayEquals(data, good.readReply(false, data.length).data());
            }
        }
    }

    @Test
    void aWriteThatNeverCompletesItsPayloadTimesOut() throws Exception {
        server = start(new SingleExportResolver("vol", device, Access.RW),
                ConnectionLimits.defaults().withFrameTimeout(Duration.ofMillis(500)));
        try (RawNbdClient client = new RawNbdClient(server.port())) {
            assertEquals(NbdConstants.REP_ACK, client.go("vol", false).type());
            client.sendRequest(0, CMD_WRITE, 1, 0, 1 << 20, new byte[(1 << 20) - 4096]);
            long start = System.nanoTime();
            assertTrue(client.closedByServer());
            assertTrue(System.nanoTime() - start < 5_000_000_000L);
        }
    }

    @Test
    void anIdleConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        server = start(new SingleExportResolver("vol", device, Access.RW),
                ConnectionLimits.defaults().withIdleTimeout(Duration.ofMillis(500)));
        try (RawNbdClient client = new RawNbdClient(server.port())) {
            assertEquals(NbdConstants.REP_ACK, client.go("vol", false).type());
            assertTrue(client.closedByServer());
        }
    }

}
