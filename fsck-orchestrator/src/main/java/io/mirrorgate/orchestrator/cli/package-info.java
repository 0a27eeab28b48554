/**
 * The fsck-orchestrator command line: {@code run} (the daemon), {@code status}, {@code
 * promote-standby} and {@code demote}, with the shared Mirrorgate CLI conventions.
 */
package io.mirrorgate.orchestrator.cli;
