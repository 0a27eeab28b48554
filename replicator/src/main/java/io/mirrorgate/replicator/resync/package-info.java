/** Background resync of owed regions, its progress, and the runtime that wires one resource. */
package io.mirrorgate.replicator.resync;
