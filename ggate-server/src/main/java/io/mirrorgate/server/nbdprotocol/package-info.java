/**
 * The NBD wire protocol (fixed newstyle), the server's side of it: constants, the messages, and
 * the framing ({@link io.mirrorgate.server.nbdprotocol.NbdServerDecoder}: client flags, options,
 * requests, limits checked before allocation; {@link io.mirrorgate.server.nbdprotocol.NbdServerEncoder}).
 * The server that speaks it is {@code nbd}; the client, {@code nbdclient}. The same split as the
 * ggate protocol's {@code protocol} / {@code ggate}.
 */
package io.mirrorgate.server.nbdprotocol;
