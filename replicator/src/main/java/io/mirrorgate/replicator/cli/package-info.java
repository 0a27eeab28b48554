/** The {@code replicator} program: create, run, status, resolve, dump-metadata (picocli). */
package io.mirrorgate.replicator.cli;
