package io.mirrorgate.orchestrator.config;

import java.util.List;

/**
 * One {@code [[service]]}: a jail or a service started on takeover and stopped on demote.
 *
 * @param name a name for logs and status
 * @param start the start command
 * @param stop the stop command
 * @param status optional: exits 0 when the service runs (lets a resumed plan skip the start)
 */
public record ServiceCommands(String name, List<String> start, List<String> stop, List<String> status) {

    public ServiceCommands {
        start = List.copyOf(start);
        stop = List.copyOf(stop);
        status = List.copyOf(status);
    }
}
