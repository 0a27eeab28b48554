package io.mirrorgate.server.export;

import io.mirrorgate.server.device.BlockDevice;

/**
 * An export as one client may use it: the device, the name the client asked for, the access
 * the first matching exports line grants this client, and, for a replicator's replica, its
 * {@link ReplicationEndpoint} (null for a plain export, whose fencing state the ggate server
 * keeps itself).
 */
public record Export(String name, BlockDevice device, Access access, ReplicationEndpoint replication) {

    /** A plain export. */
    public Export(String name, BlockDevice device, Access access) {
        this(name, device, access, null);
    }
}
