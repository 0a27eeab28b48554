package io.mirrorgate.replicator.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mirrorgate.replicator.mirror.MirrorCounters;
import io.mirrorgate.replicator.resync.ResyncProgress;
import io.mirrorgate.replicator.runtime.ResourceStatus;
import java.net.InetSocketAddress;
import java.util.Locale;

/**
 * The JSON form of a resource's status, as {@code replicator status --json} prints it and the
 * control socket's {@code status} command returns it (one object per resource):
 *
 * <pre>
 * {"resource":"r0", "role":"primary", "state":"sync-source", "mode":"fullsync",
 *  "nbd":"127.0.0.1:10810",
 *  "peer":{"address":"backup:3080", "path":"/data/r0.img", "connected":true,
 *          "generation":7, "connects":1, "lastError":null},
 *  "regionSize":4194304, "owedRegions":3, "owedBytes":12582912,
 *  "generations":{"local":7, "syncedLocal":7, "syncedPeer":7},
 *  "decision":"LOCAL_NEWER", "message":"...", "syncsCompleted":1,
 *  "resync":{"state":"running", "direction":"local-to-peer", "bytesDone":..., "bytesTotal":...,
 *            "percent":42.0, "bytesPerSecond":..., "etaSeconds":12, "regionsCopied":...,
 *            "lastError":null},
 *  "counters":{"reads":..., "writes":..., "bytesRead":..., "bytesWritten":..., "localReadErrors":...,
 *              "readRepairs":..., "localWriteFailures":..., "peerWriteFailures":...,
 *              "degradedWrites":..., "asyncBacklogBytes":..., "metadataSyncs":...}}
 * </pre>
 *
 * States and resync states are lower case with dashes ({@code split-brain}, {@code sync-target}).
 */
final class StatusJson {
    private StatusJson() {}

    static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static ObjectNode of(ObjectMapper json, RunningResource r) {
        ResourceStatus s = r.status();
        ObjectNode o = json.createObjectNode();
        o.put("resource", s.resource());
        o.put("role", lower(s.role()));
        o.put("state", lower(s.state()));
        o.put("mode", s.mode().configName());
        InetSocketAddress nbd = r.nbdAddress();
        if (nbd != null) {
            o.put("nbd", nbd.getAddress().getHostAddress() + ":" + nbd.getPort());
        } else {
            o.putNull("nbd");
        }
        ObjectNode peer = o.putObject("peer");
        peer.put("address", r.peer().address());
        peer.put("path", r.peer().exportPath());
        peer.put("connected", s.peerConnected());
        peer.put("generation", s.peerGeneration());
        peer.put("connects", r.peer().connects());
        peer.put("lastError", s.peerConnected() ? null : r.peer().lastError());
        o.put("regionSize", s.regionSize());
        o.put("owedRegions", s.owedRegions());
        o.put("owedBytes", s.owedBytes());
        ObjectNode gen = o.putObject("generations");
        gen.put("local", s.generations().local());
        gen.put("syncedLocal", s.generations().syncedLocal());
        gen.put("syncedPeer", s.generations().syncedPeer());
        o.put("decision", s.lastDecision());
        o.put("message", s.message());
        o.put("syncsCompleted", s.syncsCompleted());
        ResyncProgress p = s.resync();
        ObjectNode resync = o.putObject("resync");
        resync.put("state", lower(p.state()));
        resync.put("direction", lower(p.direction()));
        resync.put("bytesDone", p.bytesDone());
        resync.put("bytesTotal", p.bytesTotal());
        resync.put("percent", p.percent());
        resync.put("bytesPerSecond", p.bytesPerSecond());
        resync.put("etaSeconds", p.etaSeconds());
        resync.put("regionsCopied", p.regionsCopied());
        resync.put("lastError", p.lastError());
        MirrorCounters c = s.counters();
        ObjectNode counters = o.putObject("counters");
        counters.put("reads", c.reads());
        counters.put("writes", c.writes());
        counters.put("bytesRead", c.bytesRead());
        counters.put("bytesWritten", c.bytesWritten());
        counters.put("localReadErrors", c.localReadErrors());
        counters.put("readRepairs", c.localReadErrorsRepaired());
        counters.put("localWriteFailures", c.localWriteFailures());
        counters.put("peerWriteFailures", c.peerWriteFailures());
        counters.put("degradedWrites", c.degradedWrites());
        counters.put("asyncBacklogBytes", c.asyncBacklogBytes());
        counters.put("metadataSyncs", r.regions().metadataSyncs());
        return o;
    }
}
