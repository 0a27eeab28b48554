/** Generation counters of the replicas: sync direction and split-brain detection. */
package io.mirrorgate.replicator.generation;
