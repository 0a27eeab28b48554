package io.mirrorgate.replicator.config;

/**
 * A {@code host:port} endpoint as written in the configuration ({@code backup:3080},
 * {@code 127.0.0.1:9380}, {@code [::1]:3080}). The host is kept as written, unresolved.
 */
public record HostPort(String host, int port) {

    public HostPort {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("host: empty (expected: a host name or address)");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
        }
    }

    /**
     * Parses {@code host:port} or {@code [v6-address]:port}; returns null when {@code text} does
     * not have that shape or the port is outside {@code minPort..65535}.
     */
    static HostPort parseOrNull(String text, int minPort) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            return null;
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            return null; // a bare IPv6 address must be bracketed
        }
        String portText = text.substring(colon + 1);
        if (host.isEmpty() || !portText.chars().allMatch(Character::isDigit) || portText.length() > 5) {
            return null;
        }
        int port = Integer.parseInt(portText);
        return port < minPort || port > 65535 ? null : new HostPort(host, port);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
