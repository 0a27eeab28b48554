/** The ggate-server daemon: the exports served in both protocols, started and shut down as a whole. */
package io.mirrorgate.server.daemon;
