/** The fsck-orchestrator command line. */
package io.mirrorgate.orchestrator.cli;
