package io.mirrorgate.client.remote;

/** Told about every state change of a {@link RemoteBlockDevice}, on its event loop: be quick. */
@FunctionalInterface
public interface StateListener {
    void stateChanged(ConnectionState from, ConnectionState to, String reason);
}
