/** The ggate-server daemon: listeners for both protocols, lifecycle and graceful shutdown. */
package io.mirrorgate.server.daemon;
