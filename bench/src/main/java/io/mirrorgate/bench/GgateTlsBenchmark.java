package io.mirrorgate.bench;

import io.mirrorgate.client.remote.RemoteBlockDevice;
import io.mirrorgate.client.remote.RemoteDeviceOptions;
import io.mirrorgate.server.daemon.GgateDaemon;
import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.server.device.LocalDeviceOptions;
import io.mirrorgate.server.guard.ConnectionLimits;
import io.mirrorgate.server.protocol.GgateProtocol;
import io.mirrorgate.server.tls.ServerTls;
import io.mirrorgate.server.tls.TlsFiles;
import io.mirrorgate.server.tls.TlsMode;
import io.mirrorgate.common.net.HostPort;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.openjdk.jmh.annotations.Param;

/**
 * The cost of TLS on the ggate protocol: {@link GgateProtocolBenchmark}'s setup with {@code
 * tls=true} (TLS 1.3, the JDK's engine, ECDSA P-256 certificates made with {@code openssl} in the
 * image's state directory, mutual verification) against {@code tls=false}. Run once, e.g.
 *
 * <pre>
 * java -jar bench/target/bench.jar GgateTlsBenchmark -p directIo=false -p queueDepth=16 -f 1 -wi 1 -i 3
 * </pre>
 */
public class GgateTlsBenchmark extends BlockDeviceWorkload {
    private static final byte[] KEY = "mirrorgate bench key".getBytes(StandardCharsets.UTF_8);

    @Param({"false", "true"})
    public boolean tls;

    @Override
    protected BlockDevice openDevice(BenchImage image) throws Exception {
        Path dir = image.stateDirectory();
        String export = image.file().toString();
        Path exports = Files.writeString(dir.resolve("exports"), "127.0.0.1 RW " + export + "\n");
        Path key = Files.write(dir.resolve("key"), KEY);
        TlsFiles server = null;
        TlsFiles client = null;
        if (tls) {
            Path pki = Files.createDirectories(dir.resolve("pki"));
            openssl(pki, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=bench-ca");
            for (String side : new String[] {"server", "client"}) {
                openssl(pki, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                        "-keyout", side + ".key", "-out", side + ".csr", "-subj", "/CN=" + side);
                openssl(pki, "x509", "-req", "-in", side + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                        "-CAcreateserial", "-out", side + ".pem", "-days", "2");
            }
            server = new TlsFiles(pki.resolve("server.pem"), pki.resolve("server.key"), pki.resolve("ca.pem"));
            client = new TlsFiles(pki.resolve("client.pem"), pki.resolve("client.key"), pki.resolve("ca.pem"));
        }
        GgateDaemon daemon = own(GgateDaemon.start(new GgateDaemon.Settings(exports,
                new HostPort("127.0.0.1", 0), null, key, dir,
                LocalDeviceOptions.defaults().withDirectIo(directIo),
                GgateProtocol.DEFAULT_MAX_REQUEST_SIZE, ConnectionLimits.defaults(),
                tls ? ServerTls.of(TlsMode.REQUIRE, server) : ServerTls.off())));
        return own(RemoteBlockDevice.connect(RemoteDeviceOptions.builder("127.0.0.1",
                daemon.ggateAddress().getPort(), export, KEY).nodeId("bench").compression(false)
                .tls(tls ? client.clientContext() : null).build()));
    }

    private static void openssl(Path dir, String... args) throws IOException, InterruptedException {
        String[] command = new String[args.length + 1];
        command[0] = "openssl";
        System.arraycopy(args, 0, command, 1, args.length);
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("openssl.log").toFile()).start();
        if (p.waitFor() != 0) {
            throw new IOException("openssl " + String.join(" ", args) + " failed: see " + dir.resolve("openssl.log"));
        }
    }
}
