/** The replica's side of replication: its epoch and handshake ({@code ReplicaEndpoint}), the in-process
 * ggate server a primary peer reaches it through ({@code ReplicaListener}), the sync-target mark. */
package io.mirrorgate.replicator.role;
