/**
 * The orchestrator's configuration file (TOML, like the replicator's): both nodes, the heartbeat
 * settings and the takeover plan, validated as a whole before anything starts.
 */
package io.mirrorgate.orchestrator.config;
