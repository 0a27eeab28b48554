package io.mirrorgate.client.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.Export;
import io.mirrorgate.server.export.ExportResolver;
import io.mirrorgate.server.ggate.GgateServerConfig;
import io.mirrorgate.server.testing.GgateTestServer;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import io.mirrorgate.server.testing.TestCertificates;
import io.mirrorgate.server.testing.TestData;
import io.mirrorgate.server.tls.ServerTls;
import io.mirrorgate.server.tls.TlsFiles;
import io.mirrorgate.server.tls.TlsMode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.ssl.SslContext;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The ggate protocol over TLS: data both ways, plaintext refused when required, a wrong certificate refused, the key still checked. */
@Timeout(60)
class RemoteTlsTest {
    private static final byte[] KEY = "shared secret of the test cluster".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;
    private final MemoryBlockDevice device = new MemoryBlockDevice("vol", 4 << 20, 512, false);
    private GgateTestServer server;
    private TestCertificates certs;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private void start(TlsMode mode) throws Exception {
        certs = TestCertificates.create(dir.resolve("pki"));
        start(mode, certs.server());
    }

    private void start(TlsMode mode, TlsFiles serverFiles) throws Exception {
        ExportResolver resolver = new ExportResolver() {
            @Override
            public Export resolve(String name, InetAddress client) {
                return new Export(name, device, Access.RW);
            }

            @Override
            public List<String> list(InetAddress client) {
                return List.of("vol");
            }
        };
        server = GgateTestServer.start(GgateServerConfig.of(resolver, KEY, dir.resolve("state"))
                .withTls(ServerTls.of(mode, serverFiles)));
    }

    private RemoteDeviceOptions options(byte[] key, SslContext tls) {
        return RemoteDeviceOptions.builder("127.0.0.1", server.port(), "vol", key)
                .connectTimeout(Duration.ofSeconds(5)).tls(tls).build();
    }

    @Test
    void dataGoesBothWaysOverTls() throws Exception {
        start(TlsMode.REQUIRE);
        byte[] data = TestData.randomBytes(1, 1 << 20);
        try (RemoteBlockDevice d = RemoteBlockDevice.connect(options(KEY, certs.client().clientContext()))) {
            d.write(4096, Unpooled.wrappedBuffer(data), true).get();
            ByteBuf back = d.read(4096, data.length).get();
            assertArrayEquals(data, ByteBufUtil.getBytes(back));
            back.release();
        }
    }

    @Test
    void theServerIsTrustedByItsCaWhateverNameItsCertificateGives() throws Exception {
        certs = TestCertificates.create(dir.resolve("pki"));
        start(TlsMode.REQUIRE, certs.serverNamedElsewhere());
        try (RemoteBlockDevice d = RemoteBlockDevice.connect(options(KEY, certs.client().clientContext()))) {
            d.write(0, Unpooled.wrappedBuffer(TestData.randomBytes(3, 4096)), true).get();
        }
    }

    @Test
    void plaintextIsRefusedWhenTlsIsRequired() throws Exception {
        start(TlsMode.REQUIRE);
        MirrorgateException e = assertThrows(MirrorgateException.class,
                () -> RemoteBlockDevice.connect(options(KEY, null)).close());
        assertTrue(e.getMessage() != null, String.valueOf(e));
    }

    @Test
    void aCertificateOfAnotherCaIsRefused() throws Exception {
        start(TlsMode.REQUIRE);
        MirrorgateException e = assertThrows(MirrorgateException.class,
                () -> RemoteBlockDevice.connect(options(KEY, certs.rogueClient().clientContext())).close());
        assertEquals(ErrorCode.EACCES, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains("TLS handshake"), e.getMessage());
    }

    @Test
    void theKeyIsStillCheckedInsideTls() throws Exception {
        start(TlsMode.REQUIRE);
        MirrorgateException e = assertThrows(MirrorgateException.class, () -> RemoteBlockDevice.connect(
                options("another key entirely".getBytes(StandardCharsets.UTF_8),
                        certs.client().clientContext())).close());
        assertEquals(ErrorCode.EACCES, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains("authentication failed"), e.getMessage());
    }

    @Test
    void tlsAllowedServesTlsAndPlaintextClients() throws Exception {
        start(TlsMode.ALLOW);
        try (RemoteBlockDevice tls = RemoteBlockDevice.connect(options(KEY, certs.client().clientContext()));
                RemoteBlockDevice plain = RemoteBlockDevice.connect(options(KEY, null))) {
            tls.write(0, Unpooled.wrappedBuffer(TestData.randomBytes(2, 4096)), false).get();
            ByteBuf back = plain.read(0, 4096).get();
            assertArrayEquals(TestData.randomBytes(2, 4096), ByteBufUtil.getBytes(back));
            back.release();
        }
    }
}
