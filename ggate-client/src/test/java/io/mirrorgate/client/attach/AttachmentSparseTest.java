package io.mirrorgate.client.attach;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.client.control.RunDirectory;
import io.mirrorgate.client.remote.RemoteDeviceOptions;
import io.mirrorgate.server.device.LocalBlockDevice;
import io.mirrorgate.server.device.LocalDeviceOptions;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.SingleExportResolver;
import io.mirrorgate.server.ggate.GgateServerConfig;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.ExternalTools;
import io.mirrorgate.server.testing.GgateTestServer;
import io.mirrorgate.server.testing.NbdMaps;
import io.mirrorgate.server.testing.Processes;
import io.mirrorgate.server.testing.SparseImages;
import io.mirrorgate.server.testing.TestData;
import io.mirrorgate.common.net.HostPort;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A ggate-client attachment's NBD endpoint on a sparse export: the maps real tools see match
 * nbdkit's on the server's file (block status travels as ggate BLOCK_STATUS), and nbdcopy reads
 * only the data from the server (counted by the server's device).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@EndToEnd
class AttachmentSparseTest {
    private static final long MIB = 1 << 20;
    private static final byte[] KEY = "attachment sparse test key".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;
    private LocalBlockDevice device;
    private GgateTestServer server;
    private Attachment attachment;

    private String attach(Path image) throws Exception {
        device = LocalBlockDevice.open(image, LocalDeviceOptions.defaults());
        Files.createDirectories(dir.resolve("state"));
        server = GgateTestServer.start(GgateServerConfig.of(
                new SingleExportResolver("/disk", device, Access.RW), KEY, dir.resolve("state")));
        attachment = Attachment.start(RemoteDeviceOptions.builder("127.0.0.1", server.port(),
                        "/disk", KEY).nodeId("sparse-test").build(),
                new HostPort("127.0.0.1", 0), new RunDirectory(dir.resolve("run")));
        return attachment.uri();
    }

    @AfterEach
    void stop() throws Exception {
        if (attachment != null) {
            attachment.close();
        }
        if (server != null) {
            server.close();
        }
        if (device != null) {
            device.close();
        }
    }

    @Test
    void mapsThroughTheAttachmentMatchNbdkitOnTheServersFile() throws Exception {
        ExternalTools.require("nbdkit");
        Path image = SparseImages.create(dir.resolve("map.img"), 256 * MIB, 8, (int) MIB);
        NbdMaps.assertSameMapsAsNbdkit(attach(image), image);
    }

    @Test
    void nbdcopyThroughTheAttachmentReadsOnlyTheDataFromTheServer() throws Exception {
        String nbdcopy = ExternalTools.require("nbdcopy");
        long data = 16 * MIB;
        Path image = SparseImages.create(dir.resolve("big.img"), 1024 * MIB, 16, (int) MIB);
        String uri = attach(image);
        Path copy = dir.resolve("copy.img");
        Processes.run(Duration.ofSeconds(240), nbdcopy, uri, copy.toString()).assertSuccess();
        long read = device.stats().bytesRead();
        assertTrue(read <= data * 11 / 10, "the server read " + read + " bytes for " + data
                + " of data");
        assertEquals(TestData.sha256(image), TestData.sha256(copy));
        assertTrue(SparseImages.allocatedBytes(copy) <= 2 * data,
                "the copy occupies " + SparseImages.allocatedBytes(copy) + " bytes");
    }
}
