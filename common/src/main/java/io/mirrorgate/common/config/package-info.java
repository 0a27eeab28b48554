/**
 * Reading the TOML configuration files of the replicator and the orchestrator: {@link
 * io.mirrorgate.common.config.ConfigSection} (typed keys with "what (expected: ...)" errors,
 * unknown keys refused).
 */
package io.mirrorgate.common.config;
