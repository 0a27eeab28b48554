/**
 * The NBD server: option haggling, transmission (requests to the device, one reply each), block
 * status and meta contexts, errno mapping, and the embeddable {@link io.mirrorgate.server.nbd.NbdServer}.
 * The wire format and framing are in {@code nbdprotocol}.
 */
package io.mirrorgate.server.nbd;
