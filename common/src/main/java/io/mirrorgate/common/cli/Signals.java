package io.mirrorgate.common.cli;

import sun.misc.Signal;

/**
 * Turns SIGTERM and SIGINT into a callback, so that a daemon's main thread can shut down
 * gracefully and exit 0 (instead of the JVM's default 143 from shutdown hooks).
 */
public final class Signals {
    private Signals() {}

    /** Runs {@code action} on the first SIGTERM or SIGINT. */
    public static void onTermination(Runnable action) {
        Signal.handle(new Signal("TERM"), signal -> action.run());
        Signal.handle(new Signal("INT"), signal -> action.run());
    }
}
