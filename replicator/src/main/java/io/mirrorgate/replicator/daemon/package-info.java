/** The running replicator: its resources (assembled by {@code resource}) and their role changes, control
 * socket and metrics. */
package io.mirrorgate.replicator.daemon;
