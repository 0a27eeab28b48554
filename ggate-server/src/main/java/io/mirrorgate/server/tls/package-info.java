/**
 * TLS for both protocols: certificate files and the mode (off, allow, require), the server's and
 * the client's SSL contexts with mutual verification against one CA.
 */
package io.mirrorgate.server.tls;
