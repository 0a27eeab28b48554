/**
 * The load test of ggate-server: many well-behaved NBD clients doing mixed, verified I/O next to
 * hostile ones (floods, partial frames, idle, unauthenticated ggate frames), with the server's memory.
 */
package io.mirrorgate.bench.load;
