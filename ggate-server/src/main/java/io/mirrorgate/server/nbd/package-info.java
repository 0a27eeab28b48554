/** The NBD protocol (fixed newstyle): framing, option haggling, transmission and the server. */
package io.mirrorgate.server.nbd;
