/** The mirrored block device: local disk plus peer, write path per replication mode, read repair. */
package io.mirrorgate.replicator.mirror;
