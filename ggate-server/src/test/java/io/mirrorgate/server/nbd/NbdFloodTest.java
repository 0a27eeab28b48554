package io.mirrorgate.server.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.server.nbdprotocol.NbdConstants;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.SingleExportResolver;
import io.mirrorgate.server.guard.ConnectionLimits;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the load test (bench/load-test.sh) found beyond the first hardening round: a READ flood
 * that does not read its replies held the server's whole budget for the 30 s frame timeout, and a
 * flood of options kept an event loop busy, so that well-behaved clients were not served.
 */
@Timeout(60)
class NbdFloodTest {
    private final MemoryBlockDevice device = new MemoryBlockDevice("vol", 32 << 20, 512, false);
    private NbdServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private void start(ConnectionLimits limits) {
        server = NbdServer.start(new SingleExportResolver("vol", device, Access.RW),
                new InetSocketAddress("127.0.0.1", 0), NbdConstants.DEFAULT_MAX_PAYLOAD, null, "test",
                limits);
    }

    @Test
    void aFloodHoldingTheFullBudgetIsClosedWithinSecondsNotAtTheFrameTimeout() throws Exception {
        start(ConnectionLimits.defaults().withServerBytes(64L << 20));
        // 100 MiB of replies, never read while it matters
        try (Socket flood = RawNbdClient.readFlood(server.port(), "vol", 100, 1 << 20)) {
            DataInputStream in = new DataInputStream(flood.getInputStream());
            Thread.sleep(4000); // the pressure timeout is 1 s; the frame timeout 30 s
            flood.setSoTimeout(3000);
            long read = drainUntilEof(in, 100L << 20);
            assertTrue(read >= 0, "the flood was not closed: it read " + (-read - 1) + " bytes of replies");
            assertTrue(read < 90L << 20, read + " bytes of replies arrived before the close");
        }
    }

    @Test
    void aConnectionIsClosedAfterItsMaximumOfOptions() throws Exception {
        start(ConnectionLimits.defaults());
        try (RawNbdClient client = new RawNbdClient(server.port())) {
            byte[] info = RawNbdClient.goData("vol");
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            DataOutputStream options = new DataOutputStream(all);
            for (int i = 0; i < NbdNegotiationHandler.MAX_OPTIONS + 10; i++) {
                options.writeLong(NbdConstants.IHAVEOPT);
                options.writeInt(NbdConstants.OPT_INFO);
                options.writeInt(info.length);
                options.write(info);
            }
            client.out.write(all.toByteArray());
            client.out.flush();
            int acks = 0;
            try {
                while (true) {
                    if (client.readOptionReply().type() == NbdConstants.REP_ACK) {
                        acks++;
                    }
                }
            } catch (EOFException closed) {
                // what the server does after its maximum
            }
            assertEquals(NbdNegotiationHandler.MAX_OPTIONS, acks);
        }
    }

    /** The bytes read before EOF, or {@code -(bytes + 1)} if no EOF came (read timeout or cap). */
    private static long drainUntilEof(InputStream in, long cap) throws IOException {
        byte[] buffer = new byte[1 << 16];
        long total = 0;
        try {
            while (total < cap) {
                int n = in.read(buffer);
                if (n < 0) {
                    return total;
                }
                total += n;
            }
        } catch (SocketTimeoutException stillOpen) {
            return -total - 1;
        } catch (IOException reset) {
            return total;
        }
        return -total - 1;
    }
}
