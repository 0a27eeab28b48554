package io.mirrorgate.client.remote;

import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.Export;
import io.mirrorgate.server.export.ExportResolver;
import io.mirrorgate.server.ggate.GgateServerConfig;
import io.mirrorgate.server.testing.GgateTestServer;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A ggate test server with named exports, and client options pointing at it. */
final class RemoteFixture implements AutoCloseable {
    static final byte[] KEY = "shared secret of the test cluster".getBytes(StandardCharsets.UTF_8);

    private final Map<String, Export> exports = new ConcurrentHashMap<>();
    private final List<RemoteBlockDevice> clients = new ArrayList<>();
    final GgateTestServer server;

    RemoteFixture(Path stateDir) throws InterruptedException {
        this(stateDir, io.mirrorgate.server.protocol.GgateProtocol.SUPPORTED_FEATURES);
    }

    /** A server that grants only {@code features} (an older server's set). */
    RemoteFixture(Path stateDir, int features) throws InterruptedException {
        ExportResolver resolver = new ExportResolver() {
            @Override
            public Export resolve(String name, InetAddress client) {
                if (name.equals("/denied")) {
                    throw new MirrorgateException(ErrorCode.EACCES, "host "
                            + client.getHostAddress() + " is not allowed to use " + name);
                }
                Export e = exports.get(name);
                if (e == null) {
                    throw new MirrorgateException(ErrorCode.ENOENT, "no such export: " + name);
                }
                return e;
            }

            @Override
            public List<String> list(InetAddress client) {
                return List.copyOf(exports.keySet());
            }
        };
        server = GgateTestServer.start(GgateServerConfig.of(resolver, KEY, stateDir)
                .withFeatures(features));
    }

    RemoteFixture export(String name, BlockDevice device, Access access) {
        exports.put(name, new Export(name, device, access));
        return this;
    }

    RemoteDeviceOptions.Builder options(String export) {
        return RemoteDeviceOptions.builder("127.0.0.1", server.port(), export, KEY)
                .nodeId("test-node").requestTimeout(Duration.ofSeconds(20))
                .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(500));
    }

    RemoteBlockDevice connect(RemoteDeviceOptions options) {
        RemoteBlockDevice d = RemoteBlockDevice.connect(options);
        synchronized (clients) {
            clients.add(d);
        }
        return d;
    }

    @Override
    public void close() throws InterruptedException {
        synchronized (clients) {
            clients.forEach(RemoteBlockDevice::close);
        }
        server.close();
        exports.values().forEach(e -> e.device().close());
    }
}
