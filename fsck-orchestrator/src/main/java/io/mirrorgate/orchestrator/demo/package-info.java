/**
 * The self-contained demo behind the README's first command: its chapters, the processes it
 * starts on loopback, and the small file service that the failover chapters move between nodes.
 */
package io.mirrorgate.orchestrator.demo;
