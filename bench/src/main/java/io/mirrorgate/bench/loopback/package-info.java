/** The replication pieces wired in-process for the benchmarks: a ggate standby on 127.0.0.1, a
 * peer link over a ggate client, the mirrored resource (the replicator's {@code ResourceAssembly}),
 * and preallocated image files. */
package io.mirrorgate.bench.loopback;
