/**
 * The persisted dirty-region bitmap (coarse, crash-safe marks), its activity set and the metadata
 * header around it; and what the peer is owed per 4 KiB block ({@link
 * io.mirrorgate.replicator.bitmap.OwedBlocks}), in memory, written only at a clean close.
 */
package io.mirrorgate.replicator.bitmap;
