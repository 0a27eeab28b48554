package io.mirrorgate.replicator.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.replicator.config.ReplicatorConfig;
import io.mirrorgate.replicator.config.ResourceConfig;
import io.mirrorgate.replicator.testing.Fixtures;
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
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The replication link with the tls keys of the replicator's configuration against a TLS-only peer. */
@Timeout(60)
class PeerLinkTlsTest {
    private static final byte[] KEY = TestData.randomBytes(9, 32);

    @TempDir
    Path dir;
    private final MemoryBlockDevice standby = new MemoryBlockDevice("standby", 4 << 20, 512, false);
    private GgateTestServer server;
    private RemotePeerLink link;

    @AfterEach
    void stop() throws Exception {
        if (link != null) {
            link.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private ResourceConfig resource(TlsFiles tls) {
        String keys = tls == null ? "" : "tls_cert = \"" + tls.cert() + "\"\ntls_key = \"" + tls.key()
                + "\"\ntls_ca = \"" + tls.ca() + "\"\n";
        return ReplicatorConfig.parse("node = \"alpha\"\n[resource.r0]\nlocal = \"/data/r0.img\"\n"
                + "remote = \"127.0.0.1:" + server.port() + "\"\nremote_path = \"standby\"\n" + keys,
                "r.toml").resource("r0");
    }

    private void serve(TestCertificates certs) throws Exception {
        ExportResolver resolver = new ExportResolver() {
            @Override
            public Export resolve(String name, InetAddress client) {
                return new Export(name, standby, Access.RW);
            }

            @Override
            public List<String> list(InetAddress client) {
                return List.of("standby");
            }
        };
        server = GgateTestServer.start(GgateServerConfig.of(resolver, KEY, dir.resolve("state"))
                .withTls(ServerTls.of(TlsMode.REQUIRE, certs.server())));
    }

    @Test
    void theLinkReplicatesOverTlsWithTheConfiguredCertificates() throws Exception {
        TestCertificates certs = TestCertificates.create(dir.resolve("pki"));
        serve(certs);
        link = new RemotePeerLink("r0", RemotePeerLink.options(resource(certs.client()), KEY),
                RemotePeerLink.Backoff.defaults());
        link.start();
        Fixtures.await("connected over TLS", Duration.ofSeconds(10), link::isConnected);
        byte[] data = TestData.randomBytes(4, 65536);
        link.device().write(0, Unpooled.wrappedBuffer(data), true).get();
        ByteBuf back = standby.read(0, data.length).get();
        assertArrayEquals(data, ByteBufUtil.getBytes(back));
        back.release();
    }

    @Test
    void aPlaintextLinkIsRefusedByATlsOnlyPeer() throws Exception {
        TestCertificates certs = TestCertificates.create(dir.resolve("pki"));
        serve(certs);
        link = new RemotePeerLink("r0", RemotePeerLink.options(resource(null), KEY),
                new RemotePeerLink.Backoff(Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(100)));
        link.start();
        Fixtures.await("attempts", Duration.ofSeconds(10), () -> link.failedAttempts() >= 2);
        assertFalse(link.isConnected());
        assertTrue(link.lastError() != null, "a reason is kept");
    }
}
