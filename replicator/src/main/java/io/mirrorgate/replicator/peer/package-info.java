/** The production peer link: a ggate remote block device, connected and replaced in the background. */
package io.mirrorgate.replicator.peer;
