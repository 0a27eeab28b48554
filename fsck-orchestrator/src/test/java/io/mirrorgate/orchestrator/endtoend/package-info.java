/**
 * End-to-end failover in network namespaces: real replicators and orchestrators as child JVMs,
 * ext4 on the mirrored volume, a client reading through the service address.
 */
package io.mirrorgate.orchestrator.endtoend;
