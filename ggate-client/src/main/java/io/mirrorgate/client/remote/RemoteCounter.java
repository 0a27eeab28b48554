package io.mirrorgate.client.remote;

/** The names of a remote connection's counters (in {@link RemoteDeviceStats}). */
enum RemoteCounter {
    REQUESTS, FAILURES, BYTES_IN, BYTES_OUT, PAYLOAD_IN, PAYLOAD_OUT, RECONNECTS, RESENT
}
