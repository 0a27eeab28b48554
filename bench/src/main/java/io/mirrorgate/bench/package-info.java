/** JMH benchmarks: 1 MiB sequential and 4 KiB random I/O on the local device, over ggate and NBD. */
package io.mirrorgate.bench;
