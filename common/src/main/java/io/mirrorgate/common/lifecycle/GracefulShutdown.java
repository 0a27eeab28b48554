package io.mirrorgate.common.lifecycle;

/**
 * The user event a server fires into every connection's pipeline when it shuts down (SIGTERM).
 * A protocol handler that sees it stops reading new requests, lets the requests in flight
 * finish and reply, and then closes its channel: nothing acknowledged is lost.
 */
public final class GracefulShutdown {
    /** The single event instance. */
    public static final GracefulShutdown EVENT = new GracefulShutdown();

    private GracefulShutdown() {}

    @Override
    public String toString() {
        return "GracefulShutdown";
    }
}
