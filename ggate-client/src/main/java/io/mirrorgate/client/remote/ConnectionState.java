package io.mirrorgate.client.remote;

/** The connection state of a {@link RemoteBlockDevice}. */
public enum ConnectionState {
    /** The first connection and handshake are in progress. */
    CONNECTING,
    /** Connected and admitted: requests flow. */
    CONNECTED,
    /** The connection was lost; requests wait (until their timeout) while it is re-established. */
    RECONNECTING,
    /** Closed by the owner or after a permanent refusal; every request fails. */
    CLOSED
}
