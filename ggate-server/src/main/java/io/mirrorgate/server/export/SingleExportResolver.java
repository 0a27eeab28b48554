package io.mirrorgate.server.export;

import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import java.net.InetAddress;
import java.util.List;
import java.util.function.Predicate;

/**
 * One fixed export for the clients a predicate admits (by default: loopback clients only), as
 * ggate-client's local NBD endpoint and the replicator's mirrored volume need. The empty name
 * and {@code name} both mean the export. The device stays owned by the caller: this resolver
 * never closes it.
 */
public final class SingleExportResolver implements ExportResolver {
    private final String name;
    private final BlockDevice device;
    private final Access access;
    private final Predicate<InetAddress> clients;

    /** The export {@code name} for loopback clients only. */
    public SingleExportResolver(String name, BlockDevice device, Access access) {
        this(name, device, access, InetAddress::isLoopbackAddress);
    }

    /** The export {@code name} for the clients {@code clients} admits. */
    public SingleExportResolver(String name, BlockDevice device, Access access,
            Predicate<InetAddress> clients) {
        this.name = name;
        this.device = device;
        this.access = access;
        this.clients = clients;
    }

    @Override
    public Export resolve(String requested, InetAddress client) {
        if (!requested.isEmpty() && !requested.equals(name)) {
            throw new MirrorgateException(ErrorCode.ENOENT,
                    "no export " + requested + " (this endpoint serves only " + name + ")");
        }
        if (!clients.test(client)) {
            throw new MirrorgateException(ErrorCode.EACCES, "host " + client.getHostAddress()
                    + " is not allowed to use " + name + " by this local endpoint");
        }
        return new Export(name, device, access);
    }

    @Override
    public List<String> list(InetAddress client) {
        return clients.test(client) ? List.of(name) : List.of();
    }

    @Override
    public String defaultName(InetAddress client) {
        return name;
    }
}
