/**
 * One resource: its on-disk state (creating the metadata and image), the runtime that decides on
 * peer events (mirror, resync, generations) and the primary side it runs in.
 */
package io.mirrorgate.replicator.resource;
