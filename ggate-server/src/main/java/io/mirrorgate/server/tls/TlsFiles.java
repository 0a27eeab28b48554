package io.mirrorgate.server.tls;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The certificate files of one side: its certificate chain and private key (PEM, the key in
 * PKCS#8 form: {@code BEGIN PRIVATE KEY}), and the CA that signs the other side's certificate.
 * Both sides verify each other (mutual TLS); the peer's host name is not checked, its
 * certificate's signature by the CA is. TLS 1.3 and 1.2 only, the JDK's engine.
 *
 * @param cert this side's certificate (chain), PEM
 * @param key this side's private key, PEM PKCS#8
 * @param ca the CA certificate(s) that sign the peer's certificate, PEM
 */
public record TlsFiles(Path cert, Path key, Path ca) {
    private static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    public TlsFiles {
        Objects.requireNonNull(cert, "cert");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(ca, "ca");
    }

    /**
     * The files named by three options, all or none: null when none is given; a message naming
     * the missing option otherwise.
     */
    public static TlsFiles of(Path cert, Path key, Path ca, String certOption, String keyOption,
            String caOption) {
        if (cert == null && key == null && ca == null) {
            return null;
        }
        for (Object[] pair : new Object[][] {{cert, certOption}, {key, keyOption}, {ca, caOption}}) {
            if (pair[0] == null) {
                throw new MirrorgateException(ErrorCode.EINVAL, pair[1] + " is missing (expected: "
                        + certOption + ", " + keyOption + " and " + caOption + " together)");
            }
        }
        return new TlsFiles(cert, key, ca);
    }

    /** A server context: presents {@link #cert}, requires a client certificate signed by {@link #ca}. */
    public SslContext serverContext() {
        check();
        try {
            return SslContextBuilder.forServer(cert.toFile(), key.toFile())
                    .trustManager(ca.toFile()).clientAuth(ClientAuth.REQUIRE)
                    .sslProvider(SslProvider.JDK).protocols(PROTOCOLS).build();
        } catch (Exception e) {
            throw failure(e);
        }
    }

    /**
     * A client context: presents {@link #cert}, accepts a server certificate signed by {@link
     * #ca}, whatever host name or address it names (peers are often reached by an address their
     * certificate does not list; trust is the CA, as with HAST's and DRBD's links). Netty 4.2's
     * client contexts would check the name as HTTPS does: turned off here on purpose.
     */
    public SslContext clientContext() {
        check();
        try {
            return SslContextBuilder.forClient().keyManager(cert.toFile(), key.toFile())
                    .trustManager(ca.toFile()).endpointIdentificationAlgorithm(null)
                    .sslProvider(SslProvider.JDK).protocols(PROTOCOLS).build();
        } catch (Exception e) {
            throw failure(e);
        }
    }

    private void check() {
        for (Path p : new Path[] {cert, key, ca}) {
            if (!Files.isReadable(p)) {
                throw new MirrorgateException(ErrorCode.ENOENT, "TLS file " + p
                        + ": no such file or not readable");
            }
        }
    }

    private MirrorgateException failure(Exception e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return new MirrorgateException(ErrorCode.EINVAL, "TLS files cert=" + cert + " key=" + key
                + " ca=" + ca + " cannot be used: " + root.getMessage()
                + " (expected: PEM certificates and a PEM PKCS#8 private key)", e);
    }
}
