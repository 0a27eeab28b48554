package io.mirrorgate.orchestrator.config;

/**
 * A ping target: {@code "HOST:PORT"} is reached by a TCP connection that completes (a port that
 * listens: a refusal does not count), a bare {@code "HOST"} by the platform's ping command (ICMP).
 *
 * @param host name or address
 * @param port TCP port, or 0 for ICMP
 */
public record PingTarget(String host, int port) {

    public boolean tcp() {
        return port > 0;
    }

    /** Parses a target; null when it has neither shape. */
    static PingTarget parse(String text) {
        String t = text.trim();
        if (t.isEmpty() || t.indexOf(' ') >= 0) {
            return null;
        }
        if (t.startsWith("[")) {
            int close = t.indexOf(']');
            if (close < 2) {
                return null;
            }
            String host = t.substring(1, close);
            String rest = t.substring(close + 1);
            if (rest.isEmpty()) {
                return new PingTarget(host, 0);
            }
            return rest.startsWith(":") ? withPort(host, rest.substring(1)) : null;
        }
        int colon = t.indexOf(':');
        if (colon < 0) {
            return new PingTarget(t, 0);
        }
        if (t.indexOf(':', colon + 1) >= 0) {
            return new PingTarget(t, 0); // a bare IPv6 address
        }
        return colon == 0 ? null : withPort(t.substring(0, colon), t.substring(colon + 1));
    }

    private static PingTarget withPort(String host, String port) {
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(Character::isDigit)) {
            return null;
        }
        int p = Integer.parseInt(port);
        return p < 1 || p > 65535 ? null : new PingTarget(host, p);
    }

    @Override
    public String toString() {
        if (!tcp()) {
            return host;
        }
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
