package io.mirrorgate.server.nbd;

import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_BLOCK_STATUS;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_CACHE;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_FLAG_DF;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_FLAG_FAST_ZERO;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_FLAG_REQ_ONE;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_READ;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_WRITE;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_WRITE_ZEROES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.server.nbdprotocol.NbdConstants;
import io.mirrorgate.server.device.LocalBlockDevice;
import io.mirrorgate.server.device.LocalDeviceOptions;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.SingleExportResolver;
import io.mirrorgate.server.testing.SparseImages;
import io.mirrorgate.server.testing.TestData;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Metadata contexts, NBD_CMD_BLOCK_STATUS and the protocol details around it (0-length requests,
 * block sizes, past-the-end errors, CACHE, DF, FAST_ZERO), seen with a raw client on a sparse
 * file: 64 MiB with 1 MiB of data at every 16 MiB.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NbdBlockStatusTest {
    private static final long MIB = 1 << 20;
    private static final long SIZE = 64 * MIB;

    @TempDir
    Path dir;
    private LocalBlockDevice device;
    private NbdServer server;

    @BeforeEach
    void start() throws Exception {
        Path image = SparseImages.create(dir.resolve("disk.img"), SIZE, 4, (int) MIB);
        device = LocalBlockDevice.open(image, LocalDeviceOptions.defaults());
        server = NbdServer.start(new SingleExportResolver("disk", device, Access.RW), "127.0.0.1", 0);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (device != null) {
            device.close();
        }
    }

    private RawNbdClient connect(boolean allocation) throws Exception {
        RawNbdClient client = new RawNbdClient(server.port());
        client.sendOption(NbdConstants.OPT_STRUCTURED_REPLY, new byte[0]);
        assertEquals(NbdConstants.REP_ACK, client.readOptionReply().type());
        if (allocation) {
            client.sendOption(NbdConstants.OPT_SET_META_CONTEXT,
                    RawNbdClient.metaContextData("disk", NbdConstants.CONTEXT_BASE_ALLOCATION));
            RawNbdClient.OptionReply context = client.readOptionReply();
            assertEquals(NbdConstants.REP_META_CONTEXT, context.type(), context.text());
            assertEquals(NbdConstants.CONTEXT_ID_ALLOCATION, ByteBuffer.wrap(context.data()).getInt());
            assertEquals(NbdConstants.REP_ACK, client.readOptionReply().type());
        }
        assertEquals(NbdConstants.REP_ACK, client.go("disk", false).type());
        return client;
    }

    /** (length, flags) pairs of a BLOCK_STATUS reply. */
    private static List<long[]> extents(RawNbdClient.Reply reply) {
        assertEquals(NbdConstants.REPLY_TYPE_BLOCK_STATUS, reply.chunkType());
        ByteBuffer b = ByteBuffer.wrap(reply.data());
        assertEquals(NbdConstants.CONTEXT_ID_ALLOCATION, b.getInt());
        List<long[]> out = new ArrayList<>();
        while (b.hasRemaining()) {
            out.add(new long[] {b.getInt() & 0xffffffffL, b.getInt()});
        }
        return out;
    }

    @Test
    void listMetaContextOffersBaseAllocationAndNeedsStructuredReplies() throws Exception {
        try (RawNbdClient client = new RawNbdClient(server.port())) {
            client.sendOption(NbdConstants.OPT_LIST_META_CONTEXT, RawNbdClient.metaContextData("disk"));
            assertEquals(NbdConstants.REP_ERR_INVALID, client.readOptionReply().type());
            client.sendOption(NbdConstants.OPT_STRUCTURED_REPLY, new byte[0]);
            assertEquals(NbdConstants.REP_ACK, client.readOptionReply().type());
            client.sendOption(NbdConstants.OPT_LIST_META_CONTEXT, RawNbdClient.metaContextData("disk"));
            RawNbdClient.OptionReply listed = client.readOptionReply();
            assertEquals(NbdConstants.REP_META_CONTEXT, listed.type());
            assertEquals("base:allocation", new String(listed.data(), 4, listed.data().length - 4));
            assertEquals(NbdConstants.REP_ACK, client.readOptionReply().type());
            client.sendOption(NbdConstants.OPT_SET_META_CONTEXT,
                    RawNbdClient.metaContextData("disk", "qemu:dirty-bitmap:x"));
            assertEquals(NbdConstants.REP_ACK, client.readOptionReply().type(),
                    "an unknown context selects nothing");
        }
    }

    @Test
    void blockStatusReportsDataAndHolesAndReqOneGivesOneExtent() throws Exception {
        try (RawNbdClient client = connect(true)) {
            client.sendRequest(0, CMD_BLOCK_STATUS, 1, 0, SIZE, null);
            List<long[]> all = extents(client.readReply(true, 0));
            List<long[]> expected = List.of(new long[] {MIB, 0}, new long[] {15 * MIB, 3},
                    new long[] {MIB, 0}, new long[] {15 * MIB, 3}, new long[] {MIB, 0},
                    new long[] {15 * MIB, 3}, new long[] {MIB, 0}, new long[] {15 * MIB, 3});
            assertEquals(expected.size(), all.size(), () -> all.stream()
                    .map(e -> e[0] + ":" + e[1]).toList().toString());
            for (int i = 0; i < expected.size(); i++) {
                assertArrayEquals(expected.get(i), all.get(i), "extent " + i);
            }
            client.sendRequest(CMD_FLAG_REQ_ONE, CMD_BLOCK_STATUS, 2, 2 * MIB, 4 * MIB, null);
            List<long[]> one = extents(client.readReply(true, 0));
            assertEquals(1, one.size());
            assertArrayEquals(new long[] {4 * MIB, 3}, one.get(0));
            client.sendRequest(0, CMD_BLOCK_STATUS, 3, 0, 0, null);
            assertEquals(NbdConstants.EINVAL, client.readReply(true, 0).error());
            assertConnectionUsable(client);
        }
    }

    @Test
    void blockStatusWithoutAContextIsInvalid() throws Exception {
        try (RawNbdClient client = connect(false)) {
            client.sendRequest(0, CMD_BLOCK_STATUS, 1, 0, MIB, null);
            assertEquals(NbdConstants.EINVAL, client.readReply(true, 0).error());
            assertConnectionUsable(client);
        }
    }

    @Test
    void zeroLengthRequestsSucceedWithoutData() throws Exception {
        try (RawNbdClient client = connect(false)) {
            client.sendRequest(0, CMD_READ, 1, 4096, 0, null);
            RawNbdClient.Reply read = client.readReply(true, 0);
            assertEquals(0, read.error());
            assertEquals(NbdConstants.REPLY_TYPE_NONE, read.chunkType());
            client.sendRequest(0, CMD_WRITE, 2, 4096, 0, new byte[0]);
            assertEquals(0, client.readReply(true, 0).error());
            client.sendRequest(0, CMD_READ, 3, SIZE, 0, null);
            assertEquals(0, client.readReply(true, 0).error());
            assertConnectionUsable(client);
        }
        try (RawNbdClient client = new RawNbdClient(server.port())) {
            assertEquals(NbdConstants.REP_ACK, client.go("disk", false).type());
            client.sendRequest(0, CMD_READ, 1, 0, 0, null);
            RawNbdClient.Reply read = client.readReply(false, 0);
            assertEquals(0, read.error());
            assertEquals(0, read.data().length);
        }
    }

    @Test
    void theRealMinimumBlockSizeIsAdvertisedAndUnalignedRequestsGetEinval() throws Exception {
        try (RawNbdClient client = new RawNbdClient(server.port())) {
            client.sendOption(NbdConstants.OPT_GO, RawNbdClient.goData("disk"));
            int minimum = -1;
            while (true) {
                RawNbdClient.OptionReply r = client.readOptionReply();
                if (r.type() != NbdConstants.REP_INFO) {
                    assertEquals(NbdConstants.REP_ACK, r.type());
                    break;
                }
                ByteBuffer b = ByteBuffer.wrap(r.data());
                if (b.getShort() == NbdConstants.INFO_BLOCK_SIZE) {
                    minimum = b.getInt();
                }
            }
            assertEquals(512, minimum, "advertised even when the client did not ask");
            client.sendRequest(0, CMD_READ, 1, 100, 10, null);
            assertEquals(NbdConstants.EINVAL, client.readReply(false, 0).error());
            client.sendRequest(0, CMD_READ, 2, 0, 512, null);
            assertEquals(0, client.readReply(false, 512).error());
        }
    }

    @Test
    void writesPastTheEndGetEnospcAndReadsEinval() throws Exception {
        try (RawNbdClient client = connect(false)) {
            client.sendRequest(0, CMD_WRITE_ZEROES, 1, SIZE - 4096, 8192, null);
            assertEquals(NbdConstants.ENOSPC, client.readReply(true, 0).error());
            client.sendRequest(0, CMD_WRITE, 2, SIZE, 512, new byte[512]);
            assertEquals(NbdConstants.ENOSPC, client.readReply(true, 0).error());
            client.sendRequest(0, CMD_READ, 3, SIZE, 512, null);
            assertEquals(NbdConstants.EINVAL, client.readReply(true, 0).error());
            assertConnectionUsable(client);
        }
    }

    @Test
    void cacheDfAndFastZeroAreAdvertisedAndServed() throws Exception {
        try (RawNbdClient client = connect(true)) {
            int flags = client.transmissionFlags;
            assertTrue((flags & NbdConstants.FLAG_SEND_CACHE) != 0);
            assertTrue((flags & NbdConstants.FLAG_SEND_DF) != 0);
            assertTrue((flags & NbdConstants.FLAG_SEND_FAST_ZERO) != 0, "a file zeroes fast");
            client.sendRequest(0, CMD_CACHE, 1, 0, 8 * MIB + 100, null);
            assertEquals(0, client.readReply(true, 0).error());
            client.sendRequest(CMD_FLAG_DF, CMD_READ, 2, 0, 65536, null);
            RawNbdClient.Reply df = client.readReply(true, 65536);
            assertEquals(NbdConstants.REPLY_TYPE_OFFSET_DATA, df.chunkType());
            assertArrayEquals(java.util.Arrays.copyOf(TestData.randomBytes(0, (int) MIB), 65536),
                    df.data());
            client.sendRequest(CMD_FLAG_DF, CMD_READ, 5, 2 * MIB, 65536, null);
            RawNbdClient.Reply hole = client.readReply(true, 65536);
            assertEquals(NbdConstants.REPLY_TYPE_OFFSET_HOLE, hole.chunkType(), "zeroes as a hole");
            assertArrayEquals(new byte[65536], hole.data());
            client.sendRequest(CMD_FLAG_FAST_ZERO, CMD_WRITE_ZEROES, 3, 0, MIB, null);
            assertEquals(0, client.readReply(true, 0).error());
            client.sendRequest(CMD_FLAG_REQ_ONE, CMD_BLOCK_STATUS, 4, 0, MIB, null);
            assertEquals(3, extents(client.readReply(true, 0)).get(0)[1],
                    "write-zeroes without NO_HOLE punched a hole");
        }
    }

    private static void assertConnectionUsable(RawNbdClient client) throws Exception {
        client.sendRequest(0, CMD_READ, 99, 16 * MIB, 4096, null);
        RawNbdClient.Reply read = client.readReply(true, 4096);
        assertEquals(0, read.error());
        assertArrayEquals(java.util.Arrays.copyOf(TestData.randomBytes(1, (int) MIB), 4096), read.data());
    }
}
