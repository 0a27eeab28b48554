package io.mirrorgate.server.testing;

import io.mirrorgate.server.tls.TlsFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Throw-away certificates made with {@code openssl} in a test's temporary directory (nothing is
 * committed): a CA, a server certificate for {@code localhost}/{@code 127.0.0.1} and a client
 * certificate signed by it, a server certificate for another name, and a rogue CA with a client certificate of its own (to be refused).
 * {@link #clientDirectory()} holds {@code ca-cert.pem}, {@code client-cert.pem} and {@code
 * client-key.pem}, the layout libnbd ({@code tls-certificates=}) and qemu ({@code
 * tls-creds-x509,dir=}) read. Skips locally (fails under CI) without openssl.
 */
public final class TestCertificates {
    private final Path dir;

    private TestCertificates(Path dir) {
        this.dir = dir;
    }

    /** Makes the certificates under {@code dir}. */
    public static TestCertificates create(Path dir) throws Exception {
        String openssl = ExternalTools.require("openssl");
        Files.createDirectories(dir.resolve("client"));
        Files.createDirectories(dir.resolve("rogue"));
        ca(openssl, dir.resolve("ca-key.pem"), dir.resolve("ca-cert.pem"), "mirrorgate-test-ca");
        leaf(openssl, dir, "ca", dir.resolve("server-key.pem"), dir.resolve("server-cert.pem"),
                "localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1");
        leaf(openssl, dir, "ca", dir.resolve("client/client-key.pem"), dir.resolve("client/client-cert.pem"),
                "mirrorgate-test-client", "subjectAltName=DNS:client.test");
        leaf(openssl, dir, "ca", dir.resolve("elsewhere-key.pem"), dir.resolve("elsewhere-cert.pem"),
                "elsewhere", "subjectAltName=DNS:elsewhere.test");
        Files.copy(dir.resolve("ca-cert.pem"), dir.resolve("client/ca-cert.pem"));
        ca(openssl, dir.resolve("rogue/ca-key.pem"), dir.resolve("rogue/ca-cert.pem"), "rogue-ca");
        leaf(openssl, dir.resolve("rogue"), "ca", dir.resolve("rogue/client-key.pem"),
                dir.resolve("rogue/client-cert.pem"), "rogue-client", "subjectAltName=DNS:rogue.test");
        return new TestCertificates(dir);
    }

    private static void ca(String openssl, Path key, Path cert, String cn) {
        Processes.run(Duration.ofSeconds(30), openssl, "req", "-x509", "-newkey", "ec",
                "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key.toString(),
                "-out", cert.toString(), "-days", "2", "-subj", "/CN=" + cn).assertSuccess();
    }

    private static void leaf(String openssl, Path caDir, String caName, Path key, Path cert, String cn,
            String extension) throws Exception {
        Path csr = Path.of(cert + ".csr");
        Path ext = Path.of(cert + ".ext");
        Files.writeString(ext, extension + "\n");
        Processes.run(Duration.ofSeconds(30), openssl, "req", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key.toString(), "-out",
                csr.toString(), "-subj", "/CN=" + cn).assertSuccess();
        Processes.run(Duration.ofSeconds(30), openssl, "x509", "-req", "-in", csr.toString(),
                "-CA", caDir.resolve(caName + "-cert.pem").toString(),
                "-CAkey", caDir.resolve(caName + "-key.pem").toString(), "-CAcreateserial",
                "-out", cert.toString(), "-days", "2", "-extfile", ext.toString()).assertSuccess();
    }

    /** The server's files: its certificate and key, the CA that signs the clients. */
    public TlsFiles server() {
        return new TlsFiles(dir.resolve("server-cert.pem"), dir.resolve("server-key.pem"),
                dir.resolve("ca-cert.pem"));
    }

    /**
     * A server certificate of the same CA that names neither {@code localhost} nor {@code
     * 127.0.0.1} (only {@code elsewhere.test}): trusted, as the name is not checked.
     */
    public TlsFiles serverNamedElsewhere() {
        return new TlsFiles(dir.resolve("elsewhere-cert.pem"), dir.resolve("elsewhere-key.pem"),
                dir.resolve("ca-cert.pem"));
    }

    /** A good client's files. */
    public TlsFiles client() {
        return new TlsFiles(dir.resolve("client/client-cert.pem"), dir.resolve("client/client-key.pem"),
                dir.resolve("ca-cert.pem"));
    }

    /** A client whose certificate the server's CA did not sign (it trusts the server's CA). */
    public TlsFiles rogueClient() {
        return new TlsFiles(dir.resolve("rogue/client-cert.pem"), dir.resolve("rogue/client-key.pem"),
                dir.resolve("ca-cert.pem"));
    }

    /** {@code ca-cert.pem}, {@code client-cert.pem}, {@code client-key.pem} for libnbd and qemu. */
    public Path clientDirectory() {
        return dir.resolve("client");
    }
}
