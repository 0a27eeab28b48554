/** One replicated resource wired together: mirror, bitmap, generations, peer events and resync. */
package io.mirrorgate.replicator.runtime;
