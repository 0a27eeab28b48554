package io.mirrorgate.common.net;

import java.net.InetSocketAddress;

/**
 * A {@code HOST:PORT} as operators type it: {@code backup:3080}, {@code 10.0.0.2}, {@code
 * [fe80::1]:3080}, {@code :3080} (every address). The port may be left out where a default is
 * known.
 */
public record HostPort(String host, int port) {

    public HostPort {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
        }
    }

    /** Parses {@code text}; {@code defaultPort} is used when it names no port (-1: required). */
    public static HostPort parse(String text, int defaultPort) {
        String t = text.trim();
        String host;
        String port;
        if (t.startsWith("[")) {
            int close = t.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("address: " + text + " (expected: [IPv6]:PORT)");
            }
            host = t.substring(1, close);
            String rest = t.substring(close + 1);
            port = rest.startsWith(":") ? rest.substring(1) : rest.isEmpty() ? null : rest;
        } else {
            int colon = t.lastIndexOf(':');
            if (colon >= 0 && t.indexOf(':') != colon) {
                host = t;
                port = null;
            } else if (colon >= 0) {
                host = t.substring(0, colon);
                port = t.substring(colon + 1);
            } else {
                host = t;
                port = null;
            }
        }
        if (host.isEmpty()) {
            host = "0.0.0.0";
        }
        int p;
        if (port == null) {
            if (defaultPort < 0) {
                throw new IllegalArgumentException("address: " + text + " (expected: HOST:PORT)");
            }
            p = defaultPort;
        } else {
            try {
                p = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("port: " + port + " in " + text
                        + " (expected: a number 0..65535)", e);
            }
        }
        return new HostPort(host, p);
    }

    /** The host and port of a bound socket address. */
    public static HostPort of(InetSocketAddress address) {
        return new HostPort(address.getAddress() != null ? address.getAddress().getHostAddress()
                : address.getHostString(), address.getPort());
    }

    /** The socket address, resolving the host now. */
    public InetSocketAddress toSocketAddress() {
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
