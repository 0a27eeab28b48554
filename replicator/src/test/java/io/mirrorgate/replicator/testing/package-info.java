/** Faithful in-memory fakes of the bitmap, the generation store and the peer link, for tests. */
package io.mirrorgate.replicator.testing;
