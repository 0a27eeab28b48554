/**
 * Background resync of owed regions (only their owed 4 KiB blocks when known), and its progress.
 */
package io.mirrorgate.replicator.resync;
