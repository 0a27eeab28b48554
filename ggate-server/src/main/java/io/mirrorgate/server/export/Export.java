package io.mirrorgate.server.export;

import io.mirrorgate.server.device.BlockDevice;

/**
 * An export as one client may use it: the device, the name the client asked for, and the access
 * the first matching exports line grants this client.
 */
public record Export(String name, BlockDevice device, Access access) {}
