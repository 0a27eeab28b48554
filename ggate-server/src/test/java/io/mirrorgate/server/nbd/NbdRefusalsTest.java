package io.mirrorgate.server.nbd;

import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_FLAG_FUA;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_READ;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.server.nbdprotocol.NbdConstants;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import io.mirrorgate.server.testing.TestData;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What a misbehaving or unauthorised client gets, seen with a raw socket client. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NbdRefusalsTest {
    private static final long SIZE = 16L * 1024 * 1024;

    @TempDir
    Path dir;
    private ExportsServer exports;
    private NbdServer server;
    private Path exportsPath;
    private Map<String, MemoryBlockDevice> devices;

    @BeforeEach
    void startServer() throws Exception {
        exports = new ExportsServer(dir, SIZE, List.of(
                "127.0.0.1  RW  /data/disk.img  disk",
                "127.0.0.1  RO  /data/ro.img    ro",
                "127.0.0.1  WO  /data/wo.img    wo",
                "10.0.0.0/8 RW  /data/far.img   far"));
        server = exports.server;
        exportsPath = exports.exportsFile;
        devices = exports.devices;
    }

    @AfterEach
    void stopServer() {
        if (exports != null) {
            exports.close();
        }
    }

    private RawNbdClient connect(String export, boolean structured) throws Exception {
        RawNbdClient client = new RawNbdClient(server.port());
        RawNbdClient.OptionReply reply = client.go(export, structured);
        assertEquals(NbdConstants.REP_ACK, reply.type(), reply.text());
        return client;
    }

    /** The server still serves a well-behaved client: a write and a read-back. */
    private void assertServerStillServes() throws Exception {
        try (RawNbdClient client = connect("disk", true)) {
            byte[] data = TestData.randomBytes(99, 4096);
            client.sendRequest(CMD_FLAG_FUA, CMD_WRITE, 1, 8192, data.length, data);
            assertEquals(0, client.readReply(true, 0).error());
            client.sendRequest(0, CMD_READ, 2, 8192, data.length, null);
            assertArrayEquals(data, client.readReply(true, data.length).data());
        }
    }

    @Test
    void unknownExportGetsErrUnknownWithReasonAndTheClientMayRetry() throws Exception {
        try (RawNbdClient client = new RawNbdClient(server.port())) {
            RawNbdClient.OptionReply reply = client.go("nope", false);
            assertEquals(NbdConstants.REP_ERR_UNKNOWN, reply.type());
            assertEquals("no export nope", reply.text());
            assertEquals(NbdConstants.REP_ACK, client.go("disk", false).type());
            assertEquals(SIZE, client.size);
        }
    }

    @Test
    void refusedHostGetsErrPolicyWithReason() throws Exception {
        try (RawNbdClient client = new RawNbdClient(server.port())) {
            RawNbdClient.OptionReply reply = client.go("far", true);
            assertEquals(NbdConstants.REP_ERR_POLICY, reply.type());
            assertEquals("host 127.0.0.1 is not allowed to use export far", reply.text());
        }
        assertServerStillServes();
    }

    @Test
    void writesToAReadOnlyExportGetEpermAndChangeNothing() throws Exception {
        for (boolean structured : new boolean[] {false, true}) {
            try (RawNbdClient client = connect("ro", structured)) {
                assertTrue((client.transmissionFlags & NbdConstants.FLAG_READ_ONLY) != 0);
                assertEquals(0, client.transmissionFlags & (NbdConstants.FLAG_SEND_TRIM
                        | NbdConstants.FLAG_SEND_WRITE_ZEROES | NbdConstants.FLAG_SEND_FUA),
                        "a read-only export offers no trim, write-zeroes nor FUA");
                byte[] data = TestData.randomBytes(1, 4096);
                client.sendRequest(0, CMD_WRITE, 7, 0, data.length, data);
                RawNbdClient.Reply reply = client.readReply(structured, 0);
                assertEquals(7, reply.cookie());
                assertEquals(NbdConstants.EPERM, reply.error());
                if (structured) {
                    assertEquals(NbdConstants.REPLY_TYPE_ERROR, reply.chunkType());
                    assertEquals("ro: export is read-only", reply.message());
                }
                client.sendRequest(0, NbdConstants.CMD_WRITE_ZEROES, 8, 0, 4096, null);
                assertEquals(NbdConstants.EPERM, client.readReply(structured, 0).error());
                client.sendRequest(0, NbdConstants.CMD_TRIM, 9, 0, 4096, null);
                assertEquals(NbdConstants.EPERM, client.readReply(structured, 0).error());
                client.sendRequest(0, CMD_READ, 10, 0, 4096, null);
                assertArrayEquals(new byte[4096], client.readReply(structured, 4096).data());
            }
        }
        assertEquals(0, devices.get("/data/ro.img").bytesWritten());
        assertServerStillServes();
    }

    @Test
    void readsFromAWriteOnlyExportGetEperm() throws Exception {
        try (RawNbdClient client = connect("wo", true)) {
            client.sendRequest(0, CMD_READ, 3, 0, 512, null);
            RawNbdClient.Reply reply = client.readReply(true, 512);
            assertEquals(NbdConstants.EPERM, reply.error());
            assertEquals("wo: export is write-only", reply.message());
        }
    }

    @Test
    void requestsPastTheEndGetEinvalOrEnospc() throws Exception {
        try (RawNbdClient client = connect("disk", true)) {
            client.sendRequest(0, CMD_READ, 1, SIZE - 512, 1024, null);
            RawNbdClient.Reply read = client.readReply(true, 1024);
            assertEquals(NbdConstants.EINVAL, read.error());
            assertEquals("NBD_CMD_READ offset " + (SIZE - 512) + " + length 1024 is past the end of"
                    + " export disk (size: " + SIZE + ")", read.message());
            client.sendRequest(0, CMD_WRITE, 2, SIZE, 512, new byte[512]);
            assertEquals(NbdConstants.ENOSPC, client.readReply(true, 0).error());
            client.sendRequest(0, CMD_READ, 3, -512L, 512, null);
            assertEquals(NbdConstants.EINVAL, client.readReply(true, 512).error());
        }
        try (RawNbdClient client = connect("disk", false)) {
            client.sendRequest(0, CMD_READ, 4, SIZE, 512, null);
            RawNbdClient.Reply read = client.readReply(false, 512);
            assertEquals(4, read.cookie());
            assertEquals(NbdConstants.EINVAL, read.error());
        }
        assertServerStillServes();
    }

    @Test
    void oversizedRequestsGetAnErrorAndTheConnectionGoesOn() throws Exception {
        int over = NbdConstants.DEFAULT_MAX_PAYLOAD + 4096;
        try (RawNbdClient client = connect("disk", true)) {
            client.sendRequest(0, CMD_READ, 1, 0, over, null);
            RawNbdClient.Reply read = client.readReply(true, over);
            assertEquals(NbdConstants.EOVERFLOW, read.error());
            assertEquals("NBD_CMD_READ length: " + over + " (expected: <= 33554432)", read.message());
            client.sendRequest(0, CMD_WRITE, 2, 0, over, new byte[over]);
            assertEquals(NbdConstants.EOVERFLOW, client.readReply(true, 0).error());
            client.sendRequest(0, CMD_READ, 3, 0, 512, null);
            RawNbdClient.Reply after = client.readReply(true, 512);
            assertEquals(3, after.cookie());
            assertArrayEquals(new byte[512], after.data(), "the skipped payload was not written");
        }
        try (RawNbdClient client = connect("disk", false)) {
            client.sendRequest(0, CMD_READ, 4, 0, over, null);
            assertEquals(NbdConstants.EINVAL, client.readReply(false, over).error());
        }
        assertEquals(0, devices.get("/data/disk.img").bytesWritten());
    }

    @Test
    void badCommandsAndFlagsGetEinval() throws Exception {
        try (RawNbdClient client = connect("disk", true)) {
            client.sendRequest(0, 42, 1, 0, 0, null);
            RawNbdClient.Reply unknown = client.readReply(true, 0);
            assertEquals(NbdConstants.EINVAL, unknown.error());
            assertEquals("command type 42 is not supported", unknown.message());
            client.sendRequest(NbdConstants.CMD_FLAG_NO_HOLE, CMD_READ, 2, 0, 512, null);
            assertEquals(NbdConstants.EINVAL, client.readReply(true, 512).error());
            client.sendRequest(0, CMD_READ, 3, 100, 512, null);
            assertEquals(NbdConstants.EINVAL, client.readReply(true, 512).error(), "misaligned");
        }
    }

    @Test
    void deviceFailuresBecomeErrorRepliesWithTheOffset() throws Exception {
        try (RawNbdClient client = connect("disk", true)) {
            devices.get("/data/disk.img").setFailing(ErrorCode.EIO);
            client.sendRequest(0, CMD_READ, 5, 4096, 512, null);
            RawNbdClient.Reply read = client.readReply(true, 512);
            assertEquals(NbdConstants.EIO, read.error());
            assertEquals(NbdConstants.REPLY_TYPE_ERROR_OFFSET, read.chunkType());
            assertEquals("/data/disk.img: injected failure EIO", read.message());
            client.sendRequest(0, NbdConstants.CMD_FLUSH, 6, 0, 0, null);
            assertEquals(NbdConstants.EIO, client.readReply(true, 0).error());
            devices.get("/data/disk.img").setFailing(ErrorCode.ENOSPC);
            client.sendRequest(0, CMD_WRITE, 7, 0, 512, new byte[512]);
            assertEquals(NbdConstants.ENOSPC, client.readReply(true, 0).error());
            devices.get("/data/disk.img").setFailing(null);
        }
        assertServerStillServes();
    }

    @Test
    void garbageDuringOptionHagglingClosesOnlyThatConnection() throws Exception {
        try (RawNbdClient client = new RawNbdClient(server.port())) {
            client.out.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
            client.out.flush();
            assertTrue(client.closedByServer());
        }
        try (RawNbdClient client = new RawNbdClient(server.port())) {
            client.out.writeLong(NbdConstants.IHAVEOPT);
            client.out.writeInt(NbdConstants.OPT_GO);
            client.out.writeInt(1 << 30);
            client.out.flush();
            assertTrue(client.closedByServer(), "an option of 1 GiB is refused before allocating");
        }
        assertServerStillServes();
    }

    @Test
    void garbageDuringTransmissionClosesOnlyThatConnection() throws Exception {
        try (RawNbdClient client = connect("disk", false)) {
            client.out.write(new byte[28]);
            client.out.flush();
            assertTrue(client.closedByServer());
        }
        assertServerStillServes();
    }

    @Test
    void unsupportedOptionsGetErrUnsupAndListAndInfoAnswer() throws Exception {
        try (RawNbdClient client = new RawNbdClient(server.port())) {
            client.sendOption(5, new byte[0]); // NBD_OPT_STARTTLS
            RawNbdClient.OptionReply tls = client.readOptionReply();
            assertEquals(NbdConstants.REP_ERR_UNSUP, tls.type());
            assertEquals("TLS is not configured on this server", tls.text());

            client.sendOption(NbdConstants.OPT_LIST, new byte[0]);
            Set<String> names = new HashSet<>();
            RawNbdClient.OptionReply r;
            while ((r = client.readOptionReply()).type() == NbdConstants.REP_SERVER) {
                names.add(new String(r.data(), 4, r.data().length - 4));
            }
            assertEquals(NbdConstants.REP_ACK, r.type());
            assertEquals(Set.of("disk", "ro", "wo"), names);

            client.sendOption(NbdConstants.OPT_LIST, new byte[1]);
            assertEquals(NbdConstants.REP_ERR_INVALID, client.readOptionReply().type());

            client.sendOption(NbdConstants.OPT_INFO, RawNbdClient.goData("ro",
                    NbdConstants.INFO_NAME, NbdConstants.INFO_DESCRIPTION, NbdConstants.INFO_BLOCK_SIZE));
            Map<Integer, byte[]> infos = new HashMap<>();
            while ((r = client.readOptionReply()).type() == NbdConstants.REP_INFO) {
                infos.put((int) java.nio.ByteBuffer.wrap(r.data()).getShort(), r.data());
            }
            assertEquals(NbdConstants.REP_ACK, r.type());
            assertEquals(Set.of(0, 1, 2, 3), infos.keySet());
            assertEquals("ro", new String(infos.get(1), 2, infos.get(1).length - 2));
            assertEquals("Mirrorgate export ro (RO)",
                    new String(infos.get(2), 2, infos.get(2).length - 2));
            java.nio.ByteBuffer bs = java.nio.ByteBuffer.wrap(infos.get(3), 2, 12);
            assertEquals(512, bs.getInt());
            assertEquals(4096, bs.getInt());
            assertEquals(NbdConstants.DEFAULT_MAX_PAYLOAD, bs.getInt());

            client.sendOption(NbdConstants.OPT_GO, new byte[] {0, 0, 0, 9, 'x', 0, 0});
            assertEquals(NbdConstants.REP_ERR_INVALID, client.readOptionReply().type());

            client.sendOption(NbdConstants.OPT_ABORT, new byte[0]);
            assertEquals(NbdConstants.REP_ACK, client.readOptionReply().type());
            assertTrue(client.closedByServer());
        }
    }

    @Test
    void exportNameOfAnUnknownExportClosesTheConnection() throws Exception {
        try (RawNbdClient client = new RawNbdClient(server.port())) {
            client.sendOption(NbdConstants.OPT_EXPORT_NAME, "nope".getBytes());
            assertTrue(client.closedByServer());
        }
        try (RawNbdClient client = new RawNbdClient(server.port())) {
            client.sendOption(NbdConstants.OPT_EXPORT_NAME, "disk".getBytes());
            assertEquals(SIZE, client.in.readLong());
            int flags = client.in.readUnsignedShort();
            assertEquals(0, flags & NbdConstants.FLAG_READ_ONLY);
            client.sendRequest(0, CMD_READ, 1, 0, 512, null);
            assertArrayEquals(new byte[512], client.readReply(false, 512).data(),
                    "no zeroes were sent after the export-name reply (NO_ZEROES)");
        }
    }

    @Test
    void pipelinedRequestsGetExactlyOneReplyEach() throws Exception {
        int count = 200;
        try (RawNbdClient client = connect("disk", true)) {
            for (int i = 0; i < count; i++) {
                byte[] data = TestData.randomBytes(i, 4096);
                client.sendRequest(0, CMD_WRITE, i, i * 4096L, 4096, data);
            }
            for (int i = 0; i < count; i++) {
                client.sendRequest(0, CMD_READ, count + i, i * 4096L, 4096, null);
            }
            Map<Long, byte[]> replies = new HashMap<>();
            for (int i = 0; i < 2 * count; i++) {
                RawNbdClient.Reply r = client.readReply(true, 4096);
                assertEquals(0, r.error());
                assertEquals(null, replies.put(r.cookie(), r.data()), "one reply per cookie");
            }
            for (int i = 0; i < count; i++) {
                assertArrayEquals(TestData.randomBytes(i, 4096), replies.get((long) count + i));
            }
            client.socket.setSoTimeout(300);
            assertTrue(!client.closedByServer(), "no extra reply and the connection stays open");
        }
    }
}
