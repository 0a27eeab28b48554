package io.mirrorgate.server.export;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;

/**
 * The host column of an exports line: one address, a network with a prefix length or a dotted
 * mask, a hostname (resolved once, at load, to all its addresses), or {@code *} for any client.
 * IPv4 patterns never match IPv6 clients and vice versa (Java already presents IPv4-mapped IPv6
 * peers as IPv4 addresses).
 */
public final class HostPattern {

    /** Resolves a hostname to its addresses; the default is {@link InetAddress#getAllByName}. */
    @FunctionalInterface
    public interface HostResolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    private final String text;
    private final List<Network> networks;

    private record Network(byte[] address, byte[] mask) {
        boolean matches(byte[] client) {
            if (client.length != address.length) {
                return false;
            }
            for (int i = 0; i < client.length; i++) {
                if ((client[i] & mask[i]) != address[i]) {
                    return false;
                }
            }
            return true;
        }
    }

    private HostPattern(String text, List<Network> networks) {
        this.text = text;
        this.networks = networks;
    }

    /**
     * Parses a host column. Throws {@link IllegalArgumentException} whose message says what was
     * expected; the caller adds the file and line.
     */
    public static HostPattern parse(String text, HostResolver resolver) {
        if (text.equals("*")) {
            return new HostPattern(text, List.of(
                    new Network(new byte[4], new byte[4]), new Network(new byte[16], new byte[16])));
        }
        int slash = text.indexOf('/');
        String host = slash < 0 ? text : text.substring(0, slash);
        if (slash >= 0) {
            byte[] address = literal(host);
            if (address == null) {
                throw new IllegalArgumentException("network: " + text
                        + " (expected: an IPv4 or IPv6 address before '/')");
            }
            byte[] mask = mask(text.substring(slash + 1), address.length, text);
            return new HostPattern(text, List.of(network(address, mask)));
        }
        byte[] address = literal(host);
        if (address != null) {
            return new HostPattern(text, List.of(network(address, fullMask(address.length))));
        }
        if (!host.matches("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")) {
            throw new IllegalArgumentException("host: " + text
                    + " (expected: an address, address/prefix, address/mask, hostname or *)");
        }
        InetAddress[] resolved;
        try {
            resolved = resolver.resolve(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("host: " + text + " cannot be resolved ("
                    + e.getMessage() + ")", e);
        }
        if (resolved == null || resolved.length == 0) {
            throw new IllegalArgumentException("host: " + text + " resolves to no address");
        }
        return new HostPattern(text, Arrays.stream(resolved)
                .map(a -> network(a.getAddress(), fullMask(a.getAddress().length))).toList());
    }

    /** Whether {@code client} is covered by this pattern. */
    public boolean matches(InetAddress client) {
        byte[] bytes = client.getAddress();
        for (Network n : networks) {
            if (n.matches(bytes)) {
                return true;
            }
        }
        return false;
    }

    /** The pattern as written in the file. */
    @Override
    public String toString() {
        return text;
    }

    /** The bytes of an IPv4 or IPv6 literal (no DNS lookup), or null if it is not one. */
    private static byte[] literal(String host) {
        boolean v4 = host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean v6 = host.contains(":") && host.matches("[0-9A-Fa-f:.]+");
        if (!v4 && !v6) {
            return null;
        }
        try {
            return InetAddress.getByName(host).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("address: " + host
                    + " (expected: a valid IPv4 or IPv6 address)", e);
        }
    }

    private static byte[] mask(String text, int length, String whole) {
        if (text.matches("\\d{1,3}")) {
            int prefix = Integer.parseInt(text);
            if (prefix > length * 8) {
                throw new IllegalArgumentException("prefix length: " + whole
                        + " (expected: 0 to " + (length * 8) + ")");
            }
            byte[] mask = new byte[length];
            for (int bit = 0; bit < prefix; bit++) {
                mask[bit / 8] |= (byte) (0x80 >>> (bit % 8));
            }
            return mask;
        }
        byte[] mask = length == 4 && text.matches("\\d{1,3}(\\.\\d{1,3}){3}") ? literal(text) : null;
        if (mask == null || !contiguous(mask)) {
            throw new IllegalArgumentException("mask: " + whole + " (expected: a prefix length"
                    + (length == 4 ? " or a contiguous dotted mask such as 255.255.255.0)" : ")"));
        }
        return mask;
    }

    private static boolean contiguous(byte[] mask) {
        boolean zeroSeen = false;
        for (byte b : mask) {
            for (int bit = 7; bit >= 0; bit--) {
                boolean one = ((b >>> bit) & 1) != 0;
                if (one && zeroSeen) {
                    return false;
                }
                zeroSeen |= !one;
            }
        }
        return true;
    }

    private static byte[] fullMask(int length) {
        byte[] mask = new byte[length];
        Arrays.fill(mask, (byte) 0xff);
        return mask;
    }

    private static Network network(byte[] address, byte[] mask) {
        byte[] masked = address.clone();
        for (int i = 0; i < masked.length; i++) {
            masked[i] &= mask[i];
        }
        return new Network(masked, mask);
    }
}
