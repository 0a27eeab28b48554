package io.mirrorgate.orchestrator.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One node of the demo's failover pair: its files under {@code dir} (configurations, sockets,
 * state, the file service's pid file and log), its heartbeat address {@code ip}, its image, and the
 * port on which its replicator serves the replica to a primary peer.
 */
record FailoverNode(String name, String ip, Path dir, Path image, int listen) {
    Path replicatorConfig() {
        return dir.resolve("replicator.toml");
    }

    Path replicatorSocket() {
        return dir.resolve("replicator.sock");
    }

    Path orchestratorConfig() {
        return dir.resolve("orchestrator.toml");
    }

    Path orchestratorSocket() {
        return dir.resolve("orchestrator.sock");
    }

    Path pidFile() {
        return dir.resolve("files.pid");
    }

    /** The replicator's configuration: resource r0 on {@code image}, its replica served on {@code listen}. */
    void writeReplicatorConfig(String role, String rate, FailoverNode peer, Path keyFile) throws IOException {
        Files.writeString(replicatorConfig(), String.join("\n",
                "node = \"" + name() + "\"",
                "control = \"" + replicatorSocket() + "\"",
                "metrics = \"off\"",
                "[resource.r0]",
                "local = \"" + image() + "\"",
                "role = \"" + role + "\"",
                "listen = \"127.0.0.1:" + listen() + "\"",
                "remote = \"127.0.0.1:" + peer.listen() + "\"",
                "remote_path = \"r0\"",
                "key_file = \"" + keyFile + "\"",
                "timeout = \"5s\"",
                "region_size = \"1MiB\"",
                "resync_rate = \"" + rate + "\"",
                "nbd_listen = \"127.0.0.1:0\"",
                ""));
    }

    /**
     * The orchestrator's configuration: heartbeats to {@code peer}, the takeover plan of r0 with a
     * read-only fsck of the image, {@code serviceAddress} (or none when null) on lo, and
     * {@code service} as the file service, backgrounded with its output in {@code files.log}.
     */
    void writeOrchestratorConfig(FailoverNode peer, DemoCluster cluster, int heartbeatPort, String serviceAddress,
            List<String> service) throws IOException {
        List<String> lines = new ArrayList<>(List.of(
                "node = \"" + name() + "\"",
                "address = \"" + ip() + "\"",
                "replicator = " + toml(cluster.command("replicator", "-c", replicatorConfig().toString())),
                "state_dir = \"" + dir().resolve("state") + "\"",
                "control = \"" + orchestratorSocket() + "\"",
                "status_interval = \"1s\"",
                "step_timeout = \"60s\"",
                "[peer]",
                "node = \"" + peer.name() + "\"",
                "address = \"" + peer.ip() + "\"",
                "[heartbeat]",
                "port = " + heartbeatPort,
                "key_file = \"" + cluster.keyFile() + "\"",
                "keepalive = \"200ms\"",
                "warntime = \"500ms\"",
                "deadtime = \"1s\"",
                "initdead = \"5s\"",
                "[resource.r0]",
                "device = \"" + image() + "\"",
                // the resource's fsck runs as written: the image itself, not a {device} placeholder
                "fsck = " + toml(List.of(DemoCluster.tool("e2fsck"), "-f", "-n", image().toString()))));
        if (serviceAddress != null) {
            lines.addAll(List.of("[[service_address]]", "address = \"" + serviceAddress + "\"",
                    "interface = \"lo\""));
        }
        Path pid = pidFile();
        List<String> start = new ArrayList<>(List.of("sh", "-c",
                "log=$1; shift; \"$@\" </dev/null >>\"$log\" 2>&1 &", "files",
                dir().resolve("files.log").toString()));
        start.addAll(service);
        lines.addAll(List.of("[[service]]", "name = \"files\"",
                "start = " + toml(start),
                "stop = " + toml(stopCommand()),
                "status = " + toml(List.of("sh", "-c", "kill -0 \"$(cat \"$1\" 2>/dev/null)\" 2>/dev/null",
                        "files", pid.toString()))));
        if (serviceAddress != null) {
            lines.addAll(List.of("[commands]", "announce = []"));
        }
        lines.add("");
        Files.writeString(orchestratorConfig(), String.join("\n", lines));
    }

    /** The file service's stop command: SIGTERM to the pid in its pid file, if any. */
    List<String> stopCommand() {
        return List.of("sh", "-c", "[ ! -f \"$1\" ] || kill \"$(cat \"$1\")\" 2>/dev/null; rm -f \"$1\"", "files",
                pidFile().toString());
    }

    /** A TOML array of strings. */
    private static String toml(List<String> values) {
        StringBuilder s = new StringBuilder("[");
        for (String v : values) {
            s.append(s.length() > 1 ? ", " : "").append('"')
                    .append(v.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
        return s.append(']').toString();
    }
}
