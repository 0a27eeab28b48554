/** Lifecycle of a resource's on-disk state: creating its metadata (and image) from the config. */
package io.mirrorgate.replicator.resource;
