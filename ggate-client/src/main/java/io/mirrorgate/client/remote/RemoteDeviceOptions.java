package io.mirrorgate.client.remote;

import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.protocol.GgateProtocol;
import io.netty.handler.ssl.SslContext;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link RemoteBlockDevice} connects: where, to which export, with which key, access,
 * node id and epoch, and its queue depth, timeouts and reconnect backoff. Build with {@link
 * #builder}; the defaults are RW, no compression, queue depth 64, 30 s request timeout, 10 s
 * connect timeout, reconnect backoff 100 ms doubling up to 10 s, 32 MiB max request, and the
 * requests in flight when a connection breaks sent again on the next one.
 *
 * <p>{@code resendOnReconnect}: true for a plain attachment (the export is the only copy: a
 * request waits for the next connection, up to its timeout). False for a replicator's peer, which
 * has the local copy and a bitmap: every request in flight or queued when the connection breaks
 * fails at once with {@code ECONNRESET}, and so does a request submitted while reconnecting, so
 * that the mirror completes its writes locally within milliseconds and marks them owed.
 */
public record RemoteDeviceOptions(String host, int port, String exportPath, Access access,
        byte[] key, String nodeId, long epoch, boolean compression, int queueDepth,
        Duration requestTimeout, Duration connectTimeout, Duration reconnectInitial,
        Duration reconnectMax, int maxRequestSize, boolean resendOnReconnect, SslContext tls) {

    public RemoteDeviceOptions {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(exportPath, "exportPath");
        Objects.requireNonNull(access, "access");
        Objects.requireNonNull(nodeId, "nodeId");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1 to 65535)");
        }
        if (key == null || key.length == 0) {
            throw new IllegalArgumentException("key: empty (expected: the bytes of a non-empty key file)");
        }
        key = key.clone();
        if (queueDepth < 1) {
            throw new IllegalArgumentException("queueDepth: " + queueDepth + " (expected: >= 1)");
        }
        positive(requestTimeout, "requestTimeout");
        positive(connectTimeout, "connectTimeout");
        positive(reconnectInitial, "reconnectInitial");
        positive(reconnectMax, "reconnectMax");
        if (reconnectMax.compareTo(reconnectInitial) < 0) {
            throw new IllegalArgumentException("reconnectMax: " + reconnectMax
                    + " (expected: >= reconnectInitial " + reconnectInitial + ")");
        }
        if (maxRequestSize < GgateProtocol.MIN_MAX_REQUEST_SIZE) {
            throw new IllegalArgumentException("maxRequestSize: " + maxRequestSize
                    + " (expected: >= " + GgateProtocol.MIN_MAX_REQUEST_SIZE + ")");
        }
    }

    private static void positive(Duration d, String what) {
        Objects.requireNonNull(d, what);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + ": " + d + " (expected: > 0)");
        }
    }

    @Override
    public byte[] key() {
        return key.clone();
    }

    @Override
    public String toString() {
        return "RemoteDeviceOptions[" + host + ":" + port + " export=" + exportPath + " access="
                + access + " node=" + nodeId + " epoch=" + epoch + " compression=" + compression
                + " queueDepth=" + queueDepth + " requestTimeout=" + requestTimeout
                + " tls=" + (tls != null) + "]";
    }

    /**
     * The export as a URI for messages: {@code ggate://backup:3080/srv/disk.img}, or {@code
     * ggate://backup:3080/disk} for an export named by its NBD name.
     */
    public String uri() {
        String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return "ggate://" + h + ":" + port + (exportPath.startsWith("/") ? "" : "/") + exportPath;
    }

    /** Options for {@code exportPath} on {@code host:port} with the shared {@code key}. */
    public static Builder builder(String host, int port, String exportPath, byte[] key) {
        return new Builder(host, port, exportPath, key);
    }

    /** Builds {@link RemoteDeviceOptions}. */
    public static final class Builder {
        private final String host;
        private final int port;
        private final String exportPath;
        private final byte[] key;
        private Access access = Access.RW;
        private String nodeId = defaultNodeId();
        private long epoch;
        private boolean compression;
        private int queueDepth = 64;
        private Duration requestTimeout = Duration.ofSeconds(30);
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration reconnectInitial = Duration.ofMillis(100);
        private Duration reconnectMax = Duration.ofSeconds(10);
        private int maxRequestSize = GgateProtocol.DEFAULT_MAX_REQUEST_SIZE;
        private boolean resendOnReconnect = true;
        private SslContext tls;

        private Builder(String host, int port, String exportPath, byte[] key) {
            this.host = host;
            this.port = port;
            this.exportPath = exportPath;
            this.key = key;
        }

        public Builder access(Access access) {
            this.access = access;
            return this;
        }

        public Builder nodeId(String nodeId) {
            this.nodeId = nodeId;
            return this;
        }

        public Builder epoch(long epoch) {
            this.epoch = epoch;
            return this;
        }

        public Builder compression(boolean compression) {
            this.compression = compression;
            return this;
        }

        public Builder queueDepth(int queueDepth) {
            this.queueDepth = queueDepth;
            return this;
        }

        public Builder requestTimeout(Duration requestTimeout) {
            this.requestTimeout = requestTimeout;
            return this;
        }

        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
            return this;
        }

        public Builder reconnectBackoff(Duration initial, Duration max) {
            this.reconnectInitial = initial;
            this.reconnectMax = max;
            return this;
        }

        public Builder maxRequestSize(int maxRequestSize) {
            this.maxRequestSize = maxRequestSize;
            return this;
        }

        /** Whether requests in flight when a connection breaks are sent again (see the class). */
        public Builder resendOnReconnect(boolean resend) {
            this.resendOnReconnect = resend;
            return this;
        }

        /** Connects with TLS using {@code context} (a client context; null: plaintext). */
        public Builder tls(SslContext context) {
            this.tls = context;
            return this;
        }

        public RemoteDeviceOptions build() {
            return new RemoteDeviceOptions(host, port, exportPath, access, key, nodeId, epoch,
                    compression, queueDepth, requestTimeout, connectTimeout, reconnectInitial,
                    reconnectMax, maxRequestSize, resendOnReconnect, tls);
        }

        private static String defaultNodeId() {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                return "unknown-host";
            }
        }
    }
}
