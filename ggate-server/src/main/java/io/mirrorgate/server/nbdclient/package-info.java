/** A small blocking NBD client for the demo and the tools (not for performance). */
package io.mirrorgate.server.nbdclient;
