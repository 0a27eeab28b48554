/** Fakes of the bitmap, store and peer link, and {@code MirrorPair}: a real standby ggate-server + primary replicator. */
package io.mirrorgate.replicator.testing;
