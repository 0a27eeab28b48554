/**
 * The running orchestrator: the heartbeat loop, the failover decisions taken from it, and the
 * control socket that answers {@code status}.
 */
package io.mirrorgate.orchestrator.daemon;
