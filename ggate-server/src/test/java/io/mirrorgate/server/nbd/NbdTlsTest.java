package io.mirrorgate.server.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.server.nbdprotocol.NbdConstants;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.SingleExportResolver;
import io.mirrorgate.server.guard.ConnectionLimits;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.ExternalTools;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import io.mirrorgate.server.testing.Processes;
import io.mirrorgate.server.testing.TestCertificates;
import io.mirrorgate.server.testing.TestData;
import io.mirrorgate.server.tls.ServerTls;
import io.mirrorgate.server.tls.TlsMode;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** NBD with STARTTLS against real clients: nbdinfo, nbdcopy (nbds://) and qemu-img (tls-creds-x509). */
@Timeout(120)
@EndToEnd
class NbdTlsTest {
    private static final Duration TOOL = Duration.ofSeconds(60);
    private static final int SIZE = 4 << 20;

    @TempDir
    Path dir;
    private final MemoryBlockDevice device = new MemoryBlockDevice("vol", SIZE, 512, false);
    private NbdServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private TestCertificates start(TlsMode mode) throws Exception {
        TestCertificates certs = TestCertificates.create(dir.resolve("pki"));
        server = NbdServer.start(new SingleExportResolver("vol", device, Access.RW),
                new InetSocketAddress("127.0.0.1", 0), NbdConstants.DEFAULT_MAX_PAYLOAD, null, "test",
                ConnectionLimits.defaults(), ServerTls.of(mode, certs.server()));
        return certs;
    }

    private String nbds(Path certificates) {
        return "nbds://127.0.0.1:" + server.port() + "/vol?tls-certificates=" + certificates;
    }

    @Test
    void nbdinfoAndNbdcopyWorkOverTlsAndPlaintextIsRefusedWhenRequired() throws Exception {
        String nbdinfo = ExternalTools.require("nbdinfo");
        String nbdcopy = ExternalTools.require("nbdcopy");
        TestCertificates certs = start(TlsMode.REQUIRE);
        byte[] data = TestData.randomBytes(5, SIZE);
        device.write(0, Unpooled.wrappedBuffer(data), false).get();

        Processes.Result info = Processes.run(TOOL, nbdinfo, "--size", nbds(certs.clientDirectory()));
        info.assertSuccess();
        assertEquals(String.valueOf(SIZE), info.out().trim());
        Path copy = dir.resolve("copy.img");
        Processes.run(TOOL, nbdcopy, nbds(certs.clientDirectory()), copy.toString()).assertSuccess();
        assertArrayEquals(data, Files.readAllBytes(copy));

        Processes.Result plain = Processes.run(TOOL, nbdinfo, "--size",
                "nbd://127.0.0.1:" + server.port() + "/vol");
        assertNotEquals(0, plain.exitCode(), "plaintext refused: " + plain.out());

        Path rogue = dir.resolve("rogue-client");
        Files.createDirectories(rogue);
        Files.copy(certs.rogueClient().ca(), rogue.resolve("ca-cert.pem"));
        Files.copy(certs.rogueClient().cert(), rogue.resolve("client-cert.pem"));
        Files.copy(certs.rogueClient().key(), rogue.resolve("client-key.pem"));
        Processes.Result wrong = Processes.run(TOOL, nbdinfo, "--size", nbds(rogue));
        assertNotEquals(0, wrong.exitCode(), "a certificate of another CA refused: " + wrong.out());
    }

    @Test
    void qemuImgReadsAndWritesWithTlsCredsX509() throws Exception {
        String qemuImg = ExternalTools.require("qemu-img");
        TestCertificates certs = start(TlsMode.REQUIRE);
        byte[] data = TestData.randomBytes(6, SIZE);
        Path source = Files.write(dir.resolve("source.img"), data);
        String object = "tls-creds-x509,id=tls0,endpoint=client,dir=" + certs.clientDirectory();
        String target = "driver=nbd,host=127.0.0.1,port=" + server.port() + ",export=vol,tls-creds=tls0";
        Processes.run(TOOL, qemuImg, "convert", "-n", "--object", object, "-f", "raw", source.toString(),
                "--target-image-opts", target).assertSuccess();
        byte[] written = new byte[SIZE];
        device.read(0, SIZE).get().readBytes(written);
        assertArrayEquals(data, written);
        Processes.Result info = Processes.run(TOOL, qemuImg, "info", "--object", object,
                "--image-opts", target);
        info.assertSuccess();
        assertTrue(info.out().contains("virtual size: 4 MiB"), info.out());
    }

    @Test
    void tlsAllowedServesBothTlsAndPlaintext() throws Exception {
        String nbdinfo = ExternalTools.require("nbdinfo");
        TestCertificates certs = start(TlsMode.ALLOW);
        Processes.run(TOOL, nbdinfo, "--size", nbds(certs.clientDirectory())).assertSuccess();
        Processes.run(TOOL, nbdinfo, "--size", "nbd://127.0.0.1:" + server.port() + "/vol").assertSuccess();
    }
}
