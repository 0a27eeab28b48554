/**
 * Generation counters of the replicas and what two replicators tell each other at connection
 * ({@link io.mirrorgate.replicator.generation.PeerInfo}): sync direction and split-brain detection.
 */
package io.mirrorgate.replicator.generation;
