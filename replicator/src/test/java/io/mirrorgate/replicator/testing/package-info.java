/** Fakes of the bitmap, store and peer link; {@code MirrorPair} (in-process standby and primary) and
 * {@code ProcessMirror} (both as child processes, for crash tests), with a recording writer. */
package io.mirrorgate.replicator.testing;
