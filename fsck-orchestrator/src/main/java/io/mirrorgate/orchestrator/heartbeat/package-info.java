/**
 * Heartbeats between the two nodes: the authenticated UDP packet, replay protection, and the
 * Linux-HA timers (keepalive, warntime, deadtime, initdead) on an injectable clock; ping targets.
 */
package io.mirrorgate.orchestrator.heartbeat;
