package io.mirrorgate.server.export;

import java.net.InetAddress;
import java.util.List;

/**
 * Decides which export a client gets. Both protocol front ends (ggate and NBD) ask it; the
 * exports file is its main implementation, a fixed single export (ggate-client's local NBD
 * endpoint, the replicator's mirrored volume) another.
 */
public interface ExportResolver {

    /**
     * The export called {@code name} (its path, or its NBD export name) as {@code client} may use
     * it. Throws {@link io.mirrorgate.common.error.MirrorgateException} with {@code ENOENT} when
     * there is no such export, {@code EACCES} when no exports line admits the client.
     */
    Export resolve(String name, InetAddress client);

    /** The names of the exports that {@code client} may use, for NBD_OPT_LIST. */
    List<String> list(InetAddress client);

    /** The export used when an NBD client asks for the empty name, or null if none. */
    default String defaultName(InetAddress client) {
        List<String> names = list(client);
        return names.size() == 1 ? names.get(0) : null;
    }
}
