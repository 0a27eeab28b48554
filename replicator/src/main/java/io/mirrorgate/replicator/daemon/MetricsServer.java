package io.mirrorgate.replicator.daemon;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.mirrorgate.replicator.mirror.MirrorCounters;
import io.mirrorgate.replicator.resync.ResyncProgress;
import io.mirrorgate.replicator.resource.ResourceStatus;
import io.mirrorgate.common.lifecycle.DaemonThreads;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.common.net.HostPort;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The Prometheus endpoint ({@code GET /metrics}, text exposition format 0.0.4): per resource the
 * figures of {@code status}. The metric names are listed in the README and in {@link #METRICS}.
 */
final class MetricsServer implements AutoCloseable {
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private record Metric(String name, String type, String help, ToDoubleFunction<Sample> value) {}

    /** What one scrape knows of one resource. */
    record Sample(RunningResource resource, ResourceStatus status) {
        ResyncProgress resync() {
            return status.resync();
        }

        MirrorCounters counters() {
            return status.counters();
        }
    }

    static final List<Metric> METRICS = List.of(
            new Metric("mirrorgate_peer_connected", "gauge", "1 when the peer is connected",
                    s -> s.status().peerConnected() ? 1 : 0),
            new Metric("mirrorgate_owed_bytes", "gauge", "Bytes the peer is owed (dirty, copied at the next resync)",
                    s -> s.status().owedBytes()),
            new Metric("mirrorgate_owed_regions", "gauge", "Regions the peer is owed",
                    s -> s.status().owedRegions()),
            new Metric("mirrorgate_resync_bytes_done", "gauge", "Bytes copied by the current (or last) resync",
                    s -> s.resync().bytesDone()),
            new Metric("mirrorgate_resync_bytes_goal", "gauge", "Bytes the current (or last) resync copies in all",
                    s -> s.resync().bytesTotal()),
            new Metric("mirrorgate_resync_percent", "gauge", "Resync progress, 100 * done / goal",
                    s -> s.resync().percent()),
            new Metric("mirrorgate_resync_rate_bytes_per_second", "gauge", "Resync copy rate",
                    s -> s.resync().bytesPerSecond()),
            new Metric("mirrorgate_resync_eta_seconds", "gauge", "Estimated seconds to finish the resync, -1 unknown",
                    s -> s.resync().etaSeconds()),
            new Metric("mirrorgate_generation_local", "gauge", "This replica's data generation",
                    s -> s.status().generations().local()),
            new Metric("mirrorgate_generation_synced_local", "gauge", "The local generation at the last sync",
                    s -> s.status().generations().syncedLocal()),
            new Metric("mirrorgate_generation_synced_peer", "gauge", "The peer's generation at the last sync",
                    s -> s.status().generations().syncedPeer()),
            new Metric("mirrorgate_generation_peer", "gauge", "The peer's generation now, -1 when away",
                    s -> s.status().peerGeneration()),
            new Metric("mirrorgate_async_backlog_bytes", "gauge", "Bytes queued for the peer in async mode",
                    s -> s.counters().asyncBacklogBytes()),
            new Metric("mirrorgate_reads_total", "counter", "Read requests", s -> s.counters().reads()),
            new Metric("mirrorgate_writes_total", "counter", "Write, write-zeroes and trim requests",
                    s -> s.counters().writes()),
            new Metric("mirrorgate_read_bytes_total", "counter", "Bytes read", s -> s.counters().bytesRead()),
            new Metric("mirrorgate_written_bytes_total", "counter", "Bytes written",
                    s -> s.counters().bytesWritten()),
            new Metric("mirrorgate_local_read_errors_total", "counter", "Reads that failed locally",
                    s -> s.counters().localReadErrors()),
            new Metric("mirrorgate_read_repairs_total", "counter", "Local read errors served from the peer and repaired",
                    s -> s.counters().localReadErrorsRepaired()),
            new Metric("mirrorgate_local_write_failures_total", "counter", "Writes that failed locally",
                    s -> s.counters().localWriteFailures()),
            new Metric("mirrorgate_peer_write_failures_total", "counter", "Peer writes that failed",
                    s -> s.counters().peerWriteFailures()),
            new Metric("mirrorgate_degraded_writes_total", "counter", "Writes not replicated (peer away)",
                    s -> s.counters().degradedWrites()),
            new Metric("mirrorgate_metadata_syncs_total", "counter", "Metadata (bitmap and header) syncs",
                    s -> s.resource().regions().metadataSyncs()),
            new Metric("mirrorgate_resyncs_completed_total", "counter", "Resyncs that ended in sync",
                    s -> s.status().syncsCompleted()),
            new Metric("mirrorgate_peer_connects_total", "counter", "Times the peer connected",
                    s -> s.resource().primary().map(p -> p.peer().connects()).orElse(0L)));

    private final HttpServer server;
    private final ExecutorService executor;

    private MetricsServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    static MetricsServer start(HostPort address, Supplier<List<RunningResource>> resources) {
        HttpServer server;
        try {
            server = HttpServer.create(address.toSocketAddress(), 16);
        } catch (IOException e) {
            throw io.mirrorgate.server.transport.ListenFailure.of("metrics", address, "metrics", e);
        }
        ExecutorService executor = Executors.newSingleThreadExecutor(DaemonThreads.named("metrics-http"));
        server.setExecutor(executor);
        server.createContext("/metrics", exchange -> serve(exchange, resources.get()));
        server.createContext("/", exchange -> {
            byte[] body = "Mirrorgate replicator: metrics at /metrics\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(exchange.getRequestURI().getPath().equals("/") ? 200 : 404, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return new MetricsServer(server, executor);
    }

    InetSocketAddress address() {
        return server.getAddress();
    }

    private static void serve(HttpExchange exchange, List<RunningResource> resources) throws IOException {
        byte[] body = render(resources).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(200, head ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            if (!head) {
                out.write(body);
            }
        }
    }

    /** The exposition text of every metric of every resource. */
    static String render(List<RunningResource> resources) {
        List<Sample> samples = resources.stream().map(r -> new Sample(r, r.status())).toList();
        StringBuilder out = new StringBuilder(4096);
        for (Metric m : METRICS) {
            out.append("# HELP ").append(m.name()).append(' ').append(m.help()).append('\n');
            out.append("# TYPE ").append(m.name()).append(' ').append(m.type()).append('\n');
            for (Sample s : samples) {
                out.append(m.name()).append("{resource=\"").append(s.resource().name()).append("\"} ")
                        .append(number(m.value().applyAsDouble(s))).append('\n');
            }
        }
        stateFamily(out, "mirrorgate_state", "1 for the resource's replication state",
                samples, ResourceStatus.State.values(), s -> s.status().state());
        stateFamily(out, "mirrorgate_resync_state", "1 for the resync engine's state",
                samples, ResyncProgress.State.values(), s -> s.resync().state());
        return out.toString();
    }

    private static <E extends Enum<E>> void stateFamily(StringBuilder out, String name, String help,
            List<Sample> samples, E[] values, Function<Sample, E> current) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(" gauge\n");
        for (Sample s : samples) {
            E now = current.apply(s);
            for (E v : values) {
                out.append(name).append("{resource=\"").append(s.resource().name()).append("\",state=\"")
                        .append(StatusJson.lower(v)).append("\"} ").append(v == now ? 1 : 0).append('\n');
            }
        }
    }

    private static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return String.format(Locale.ROOT, "%.3f", v);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
