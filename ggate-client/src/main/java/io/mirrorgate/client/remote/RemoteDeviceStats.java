package io.mirrorgate.client.remote;

/**
 * A snapshot of a {@link RemoteBlockDevice}'s counters.
 *
 * @param state the connection state
 * @param requests requests completed (successfully or with an error reply)
 * @param failures requests that failed (error reply, timeout, CRC mismatch, closed)
 * @param inFlight requests sent and not yet answered
 * @param queued requests waiting to be sent (over the queue depth, or while reconnecting)
 * @param bytesIn bytes received on the wire (frames, after compression)
 * @param bytesOut bytes sent on the wire (frames, after compression)
 * @param payloadBytesIn uncompressed payload bytes read
 * @param payloadBytesOut uncompressed payload bytes sent (re-sends included)
 * @param reconnects connections re-established after a loss
 * @param resent requests sent again after a reconnect
 * @param lastError the last failure of the connection or a request, or null
 */
public record RemoteDeviceStats(ConnectionState state, long requests, long failures, int inFlight,
        int queued, long bytesIn, long bytesOut, long payloadBytesIn, long payloadBytesOut,
        long reconnects, long resent, String lastError) {}
