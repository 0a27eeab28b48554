package io.mirrorgate.orchestrator.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The {@code [heartbeat]} table, in the Linux-HA heartbeat sense.
 *
 * @param port UDP port both nodes listen on and send to
 * @param keepalive interval between two heartbeats
 * @param warntime silence after which a warning is logged ("late heartbeat")
 * @param deadtime silence after which the peer is declared dead
 * @param initdead like deadtime, until the first heartbeat after start-up
 * @param keyFile the shared key (the ggate-server key file format)
 * @param maxSkew how far a heartbeat's timestamp may be from this node's clock
 * @param ping targets that must answer for this node to take over (empty: no check)
 * @param pingTimeout how long one ping target may take to answer
 */
public record HeartbeatConfig(int port, Duration keepalive, Duration warntime, Duration deadtime,
        Duration initdead, Path keyFile, Duration maxSkew, List<PingTarget> ping, Duration pingTimeout) {

    public HeartbeatConfig {
        ping = List.copyOf(ping);
    }
}
