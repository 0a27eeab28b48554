/** The ggate wire protocol: constants, message types, frame decoder, encoder and codec. */
package io.mirrorgate.server.protocol;
