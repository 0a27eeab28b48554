package io.mirrorgate.server.protocol;

/** A decoded ggate frame: one of the handshake messages, a request or a reply. */
public sealed interface GgateMessage permits Hello, Challenge, Auth, Welcome, Request, Reply {

    /** The frame type code ({@code GgateProtocol.TYPE_*}). */
    int type();
}
