package io.mirrorgate.replicator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.common.cli.Sizes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The text of {@code replicator status}, from the JSON of the control socket, in the manner of
 * {@code drbdadm status} and {@code hastctl status}:
 *
 * <pre>
 * r0 role:primary state:sync-source mode:fullsync nbd:127.0.0.1:10810
 *   peer: 10.0.0.2:3080 /data/r0.img connected generation:7
 *   owed: 420.0 MiB (105 regions of 4.0 MiB)
 *   resync: [============&gt;                 ] 42.0% 420.0 MiB/1.0 GiB 95.3 MiB/s ETA 0:06
 *   generations: local=7 syncedLocal=7 syncedPeer=7
 *   counters: reads=12 writes=3400 read=48.0 KiB written=13.3 MiB peerWriteFailures=0 ...
 * </pre>
 */
final class StatusText {
    static final int BAR_WIDTH = 30;

    private StatusText() {}

    /** Whether the resource finished its resync and is connected in sync. */
    static boolean inSync(JsonNode r) {
        boolean connected = r.path("state").asText().equals("connected");
        if (r.path("role").asText().equals("secondary")) {
            return connected; // the primary runs the resync; a connected secondary has nothing to wait for
        }
        return connected && r.path("resync").path("state").asText().equals("done");
    }

    static boolean splitBrain(JsonNode r) {
        return r.path("state").asText().equals("split-brain");
    }

    /** The full, multi-line status of one resource. */
    static List<String> lines(JsonNode r) {
        List<String> lines = new ArrayList<>();
        lines.add(r.path("resource").asText() + " role:" + r.path("role").asText() + " state:"
                + r.path("state").asText() + " mode:" + r.path("mode").asText() + " nbd:"
                + (r.path("nbd").isNull() ? "off" : r.path("nbd").asText()) + " epoch:" + r.path("epoch").asLong()
                + (r.path("listen").isTextual() ? " listen:" + r.path("listen").asText() : ""));
        if (r.path("fenced").asBoolean(false)) {
            lines.add("  FENCED: " + r.path("fencedBy").asText() + " (writes refused; make this node secondary:"
                    + " replicator role " + r.path("resource").asText() + " secondary)");
        }
        if (r.path("inconsistent").isTextual()) {
            lines.add("  INCONSISTENT: " + r.path("inconsistent").asText() + ", not finished (promotion"
                    + " refused without --force)");
        }
        if (r.path("fencedPeer").isTextual()) {
            lines.add("  fenced peer: " + r.path("fencedPeer").asText());
        }
        JsonNode peer = r.path("peer");
        boolean connected = peer.path("connected").asBoolean();
        boolean secondary = r.path("role").asText().equals("secondary");
        if (secondary) {
            lines.add("  peer: " + peer.path("address").asText() + " "
                    + (connected ? "primary " + peer.path("node").asText() + " connected"
                            : "no primary connected"));
        } else {
            String who = peer.path("node").isTextual() ? " " + peer.path("role").asText() + " "
                    + peer.path("node").asText() + " epoch:" + peer.path("epoch").asLong() + " marked:"
                    + peer.path("markedRegions").asLong() : "";
            lines.add("  peer: " + peer.path("address").asText() + " " + peer.path("path").asText() + " "
                    + (connected ? "connected generation:" + peer.path("generation").asLong() + who
                            : "disconnected" + (peer.path("lastError").isTextual()
                                    ? " (" + peer.path("lastError").asText() + ")" : "")));
        }
        lines.add("  owed: " + Sizes.format(r.path("owedBytes").asLong()) + " (" + r.path("owedRegions").asLong()
                + " regions of " + Sizes.format(r.path("regionSize").asLong()) + ")");
        if (splitBrain(r)) {
            lines.add("  split brain: " + r.path("message").asText());
            lines.add("  resolve with: replicator resolve " + r.path("resource").asText()
                    + " --discard-local | --discard-remote");
        }
        lines.add("  resync: " + (waiting(r) ? "waiting for the peer (last: " + resync(r.path("resync")) + ")"
                : resync(r.path("resync"))));
        JsonNode g = r.path("generations");
        lines.add("  generations: local=" + g.path("local").asLong() + " syncedLocal=" + g.path("syncedLocal").asLong()
                + " syncedPeer=" + g.path("syncedPeer").asLong());
        JsonNode c = r.path("counters");
        lines.add("  counters: reads=" + c.path("reads").asLong() + " writes=" + c.path("writes").asLong()
                + " read=" + Sizes.format(c.path("bytesRead").asLong()) + " written="
                + Sizes.format(c.path("bytesWritten").asLong()) + " peerWriteFailures="
                + c.path("peerWriteFailures").asLong() + " degradedWrites=" + c.path("degradedWrites").asLong()
                + " readRepairs=" + c.path("readRepairs").asLong() + " metadataSyncs="
                + c.path("metadataSyncs").asLong());
        return lines;
    }

    /**
     * {@code lines} fitted to a terminal {@code width} columns wide: a longer line is broken at
     * spaces, its continuation indented by four more columns than the line (a word longer than
     * the room left is cut), so that a redraw never wraps and scrolls.
     */
    static List<String> fit(List<String> lines, int width) {
        List<String> fitted = new ArrayList<>();
        for (String line : lines) {
            if (line.length() <= width) {
                fitted.add(line);
                continue;
            }
            int indent = 0;
            while (indent < line.length() && line.charAt(indent) == ' ') {
                indent++;
            }
            String continuation = " ".repeat(Math.min(indent + 4, Math.max(0, width / 2)));
            StringBuilder current = new StringBuilder(line.substring(0, Math.min(indent, width / 2)));
            boolean fresh = true;
            for (String word : line.substring(indent).split(" ")) {
                int room = width - current.length() - (fresh ? 0 : 1);
                if (word.length() > room && !fresh) {
                    fitted.add(current.toString());
                    current = new StringBuilder(continuation);
                    fresh = true;
                    room = width - current.length();
                }
                if (!fresh) {
                    current.append(' ');
                }
                current.append(word.length() > room ? word.substring(0, Math.max(1, room)) : word);
                fresh = false;
            }
            fitted.add(current.toString());
        }
        return fitted;
    }

    /** One line per resource, for {@code --watch} when not on a terminal. */
    static String line(JsonNode r) {
        return r.path("resource").asText() + " " + r.path("state").asText() + " owed:"
                + Sizes.format(r.path("owedBytes").asLong()) + " resync: "
                + (waiting(r) ? "waiting for the peer" : resync(r.path("resync")));
    }

    /** The peer is away: the owed regions wait for it (the resync figures are the last run's). */
    static boolean waiting(JsonNode r) {
        String state = r.path("state").asText();
        return state.equals("disconnected") || state.equals("degraded");
    }

    /** {@code [=====>    ] 42.0% 420.0 MiB/1.0 GiB 95.3 MiB/s ETA 0:06}, or the resync's state. */
    static String resync(JsonNode p) {
        String state = p.path("state").asText();
        long done = p.path("bytesDone").asLong();
        long total = p.path("bytesTotal").asLong();
        double percent = p.path("percent").asDouble();
        StringBuilder s = new StringBuilder();
        s.append(bar(percent)).append(' ').append(String.format(Locale.ROOT, "%.1f%%", percent)).append(' ')
                .append(Sizes.format(done)).append('/').append(Sizes.format(total));
        if (state.equals("running")) {
            s.append(' ').append(Sizes.format((long) p.path("bytesPerSecond").asDouble())).append("/s ETA ")
                    .append(eta(p.path("etaSeconds").asLong()));
        } else {
            s.append(' ').append(state);
            if (p.path("lastError").isTextual() && !state.equals("split-brain")) {
                s.append(" (").append(p.path("lastError").asText()).append(')');
            }
        }
        return s.toString();
    }

    static String bar(double percent) {
        int filled = (int) Math.floor(Math.max(0, Math.min(100, percent)) * BAR_WIDTH / 100);
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < BAR_WIDTH; i++) {
            b.append(i < filled ? '=' : i == filled ? '>' : ' ');
        }
        return b.append(']').toString();
    }

    /** {@code 0:06}, {@code 12:34}, {@code 1:02:03}; {@code --:--} when unknown. */
    static String eta(long seconds) {
        if (seconds < 0) {
            return "--:--";
        }
        long h = seconds / 3600;
        long m = seconds / 60 % 60;
        long s = seconds % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s) : String.format(Locale.ROOT, "%d:%02d", m, s);
    }
}
