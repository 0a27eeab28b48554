package io.mirrorgate.server.export;

import java.net.InetAddress;

/**
 * One line of the exports file: who ({@code hosts}), what access, which device ({@code path})
 * and the NBD export name (the path unless the line names one). {@code line} is the 1-based line
 * number, for messages.
 */
public record ExportRule(HostPattern hosts, Access access, String path, String name, int line) {

    /** Whether a client asking for {@code exportName} (a path or NBD name) means this line. */
    public boolean names(String exportName) {
        return path.equals(exportName) || name.equals(exportName);
    }

    /** Whether this line admits {@code client}. */
    public boolean admits(InetAddress client) {
        return hosts.matches(client);
    }
}
