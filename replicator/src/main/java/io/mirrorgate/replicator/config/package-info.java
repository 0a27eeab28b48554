/** The replicator's configuration file (TOML, hast.conf-like): resources, endpoints, policies. */
package io.mirrorgate.replicator.config;
