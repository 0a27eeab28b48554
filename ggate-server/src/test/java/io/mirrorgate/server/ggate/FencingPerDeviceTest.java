package io.mirrorgate.server.ggate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mirrorgate.server.device.LocalBlockDevice;
import io.mirrorgate.server.device.LocalDeviceOptions;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.ExportRegistry;
import io.mirrorgate.server.export.ExportsFile;
import io.mirrorgate.server.protocol.Reply;
import io.mirrorgate.server.protocol.Request;
import io.mirrorgate.server.protocol.Welcome;
import io.mirrorgate.server.testing.GgateTestServer;
import io.mirrorgate.server.testing.RawGgateSocket;
import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fencing belongs to the device: an export reached by its path, its NBD name or a symlink meets
 * one epoch, and epochs compare as unsigned 64-bit numbers (issue 8, defect 1).
 */
@Timeout(60)
class FencingPerDeviceTest {
    private static final byte[] KEY = "correct horse battery staple".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;
    private Path image;
    private Path link;
    private ExportRegistry registry;
    private GgateTestServer server;

    @BeforeEach
    void start() throws Exception {
        image = dir.resolve("disk.img");
        TestData.sparseFile(image, 1 << 20);
        link = Files.createSymbolicLink(dir.resolve("alias.img"), image);
        Path exports = Files.write(dir.resolve("exports"), List.of(
                "127.0.0.1 RW " + image + " disk0",
                "127.0.0.1 RW " + link));
        registry = ExportRegistry.open(ExportsFile.load(exports),
                spec -> LocalBlockDevice.open(Path.of(spec.path()), LocalDeviceOptions.defaults()));
        server = GgateTestServer.start(GgateServerConfig.of(registry, KEY, dir.resolve("state")));
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        registry.close();
    }

    private Welcome handshake(String export, long epoch) throws Exception {
        try (RawGgateSocket s = new RawGgateSocket(server.port())) {
            return s.handshake(KEY, export, Access.RW, epoch);
        }
    }

    @Test
    void anOlderEpochIsRefusedThroughEveryNameOfTheDevice() throws Exception {
        assertEquals(ErrorCode.OK, handshake(image.toString(), 5).error());
        Welcome byName = handshake("disk0", 3);
        assertEquals(ErrorCode.ESTALE, byName.error(), byName.reason());
        assertEquals("epoch 3 is older than 5, this client has been fenced", byName.reason());
        Welcome bySymlink = handshake(link.toString(), 4);
        assertEquals(ErrorCode.ESTALE, bySymlink.error(), bySymlink.reason());
    }

    @Test
    void aClientAdmittedThroughAnAliasIsFencedByANewerEpochThroughThePath() throws Exception {
        try (RawGgateSocket old = new RawGgateSocket(server.port())) {
            assertEquals(ErrorCode.OK, old.handshake(KEY, "disk0", Access.RW, 2).error());
            assertEquals(ErrorCode.OK, handshake(image.toString(), 7).error());
            old.send(Request.write(1, 0, Unpooled.wrappedBuffer(new byte[512]), false));
            Reply reply = (Reply) old.receive();
            assertEquals(ErrorCode.ESTALE, reply.error(), reply.reason());
        }
    }

    @Test
    void epochsCompareUnsigned() throws Exception {
        assertEquals(ErrorCode.OK, handshake(image.toString(), 110).error());
        Welcome huge = handshake("disk0", Long.MIN_VALUE);
        assertEquals(ErrorCode.OK, huge.error(), huge.reason());
        assertEquals(Long.MIN_VALUE, huge.highestEpoch());
        Welcome older = handshake(link.toString(), 110);
        assertEquals(ErrorCode.ESTALE, older.error());
        assertEquals("epoch 110 is older than 9223372036854775808, this client has been fenced",
                older.reason());
        try (ExportStateStore reopened = new ExportStateStore(dir.resolve("state"))) {
            assertEquals(Long.MIN_VALUE, reopened.load(image.toRealPath().toString()).highestEpoch());
        }
    }

    @Test
    void anEpochKeptUnderTheExportsNameByAnEarlierVersionStillFences() throws Exception {
        try (ExportStateStore old = new ExportStateStore(dir.resolve("state"))) {
            old.admit("disk0", 9).join(); // what an earlier version wrote, keyed by the name
        }
        server.close();
        server = GgateTestServer.start(GgateServerConfig.of(registry, KEY, dir.resolve("state")));
        Welcome fenced = handshake("disk0", 8);
        assertEquals(ErrorCode.ESTALE, fenced.error(), fenced.reason());
        assertEquals(ErrorCode.ESTALE, handshake(image.toString(), 8).error());
        assertEquals(ErrorCode.OK, handshake(image.toString(), 9).error());
    }
}
