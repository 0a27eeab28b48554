/** The persisted dirty-region bitmap, its activity set and the metadata header around it. */
package io.mirrorgate.replicator.bitmap;
