/** The running replicator: resources wired to local disks, peers and NBD, control socket and metrics. */
package io.mirrorgate.replicator.daemon;
