package io.mirrorgate.server.ggate;

import io.mirrorgate.server.export.ExportResolver;
import io.mirrorgate.server.guard.ConnectionLimits;
import io.mirrorgate.server.protocol.GgateProtocol;
import io.mirrorgate.server.tls.ServerTls;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * What a ggate server needs: the export resolver, the shared key (the key file's bytes), the
 * directory of the per-export state files, and the limits.
 *
 * @param resolver which export a client gets
 * @param key the shared key: the bytes of the key file (not empty)
 * @param stateDirectory where the per-export epoch/generation files live
 * @param maxRequestSize the largest payload of one request (default 32 MiB)
 * @param maxInFlight requests of one connection in flight before reading pauses (default 128)
 * @param handshakeTimeout how long a connection may take to complete the handshake
 * @param limits bytes in flight per connection and server, frame, idle and drain timeouts
 * @param tls TLS off, allowed or required (the HMAC handshake runs inside it either way)
 * @param features the feature bits this server may grant (default: every one it supports; a
 *     smaller set makes it behave as an older version, for tests and staged upgrades)
 */
public record GgateServerConfig(ExportResolver resolver, byte[] key, Path stateDirectory,
        int maxRequestSize, int maxInFlight, Duration handshakeTimeout, ConnectionLimits limits,
        ServerTls tls, int features) {

    public GgateServerConfig {
        Objects.requireNonNull(resolver, "resolver");
        Objects.requireNonNull(stateDirectory, "stateDirectory");
        Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(tls, "tls");
        if (key == null || key.length == 0) {
            throw new IllegalArgumentException("key: empty (expected: the bytes of a non-empty key file)");
        }
        key = key.clone();
        if (maxRequestSize < GgateProtocol.MIN_MAX_REQUEST_SIZE) {
            throw new IllegalArgumentException("maxRequestSize: " + maxRequestSize
                    + " (expected: >= " + GgateProtocol.MIN_MAX_REQUEST_SIZE + ")");
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight: " + maxInFlight + " (expected: >= 1)");
        }
        if (limits.connectionBytes() < maxRequestSize) {
            throw new IllegalArgumentException("connection bytes in flight: " + limits.connectionBytes()
                    + " (expected: >= the maximum request size " + maxRequestSize + ")");
        }
        if (handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
            throw new IllegalArgumentException("handshakeTimeout: " + handshakeTimeout + " (expected: > 0)");
        }
        if ((features & ~GgateProtocol.SUPPORTED_FEATURES) != 0) {
            throw new IllegalArgumentException(String.format("features: 0x%x (expected: within 0x%x)",
                    features, GgateProtocol.SUPPORTED_FEATURES));
        }
    }

    /**
     * The defaults: 32 MiB requests, 128 in flight per connection, 30 s to complete the
     * handshake, the default {@link ConnectionLimits}, no TLS, every supported feature.
     */
    public static GgateServerConfig of(ExportResolver resolver, byte[] key, Path stateDirectory) {
        return new GgateServerConfig(resolver, key, stateDirectory,
                GgateProtocol.DEFAULT_MAX_REQUEST_SIZE, 128, Duration.ofSeconds(30),
                ConnectionLimits.defaults(), ServerTls.off(), GgateProtocol.SUPPORTED_FEATURES);
    }

    public GgateServerConfig withMaxRequestSize(int bytes) {
        return new GgateServerConfig(resolver, key, stateDirectory, bytes, maxInFlight, handshakeTimeout,
                limits, tls, features);
    }

    public GgateServerConfig withMaxInFlight(int requests) {
        return new GgateServerConfig(resolver, key, stateDirectory, maxRequestSize, requests,
                handshakeTimeout, limits, tls, features);
    }

    public GgateServerConfig withHandshakeTimeout(Duration timeout) {
        return new GgateServerConfig(resolver, key, stateDirectory, maxRequestSize, maxInFlight, timeout,
                limits, tls, features);
    }

    public GgateServerConfig withTls(ServerTls tls) {
        return new GgateServerConfig(resolver, key, stateDirectory, maxRequestSize, maxInFlight,
                handshakeTimeout, limits, tls, features);
    }

    public GgateServerConfig withLimits(ConnectionLimits limits) {
        return new GgateServerConfig(resolver, key, stateDirectory, maxRequestSize, maxInFlight,
                handshakeTimeout, limits, tls, features);
    }

    /** The same with only {@code bits} grantable (an older server's set, for example). */
    public GgateServerConfig withFeatures(int bits) {
        return new GgateServerConfig(resolver, key, stateDirectory, maxRequestSize, maxInFlight,
                handshakeTimeout, limits, tls, bits);
    }

    @Override
    public byte[] key() {
        return key.clone();
    }

    @Override
    public String toString() {
        return "GgateServerConfig[stateDirectory=" + stateDirectory + ", maxRequestSize="
                + maxRequestSize + ", maxInFlight=" + maxInFlight + ", handshakeTimeout="
                + handshakeTimeout + ", limits=" + limits + ", tls=" + tls + ", features=" + features
                + ", key=(" + key.length + " bytes)]";
    }
}
