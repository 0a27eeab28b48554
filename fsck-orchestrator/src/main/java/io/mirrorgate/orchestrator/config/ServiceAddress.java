package io.mirrorgate.orchestrator.config;

/**
 * A service ("jail") address brought up on takeover: {@code address/prefix} on {@code device}.
 *
 * @param address the IPv4 or IPv6 address, as written
 * @param prefix the prefix length
 * @param device the network interface
 */
public record ServiceAddress(String address, int prefix, String device) {

    public boolean ipv6() {
        return address.indexOf(':') >= 0;
    }

    @Override
    public String toString() {
        return address + "/" + prefix + " dev " + device;
    }
}
