package io.mirrorgate.replicator.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mirrorgate.replicator.resource.PrimarySide;
import io.mirrorgate.replicator.generation.PeerInfo;
import io.mirrorgate.replicator.mirror.MirrorCounters;
import io.mirrorgate.replicator.peer.RemotePeerLink;
import io.mirrorgate.replicator.resync.ResyncProgress;
import io.mirrorgate.replicator.resource.ResourceStatus;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Optional;

/**
 * The JSON form of a resource's status, as {@code replicator status --json} prints it and the
 * control socket's {@code status} command returns it (one object per resource):
 *
 * <pre>
 * {"resource":"r0", "role":"primary", "state":"sync-source", "mode":"fullsync",
 *  "nbd":"127.0.0.1:10810", "epoch":3, "fenced":false, "fencedBy":null,
 *  "fencedPeer":"node beta (epoch 2)", "inconsistent":null, "uuid":"...",
 *  "listen":"0.0.0.0:7790",
 *  "peer":{"address":"backup:3080", "path":"/data/r0.img", "connected":true,
 *          "generation":7, "node":"beta", "role":"secondary", "epoch":3, "markedRegions":0,
 *          "connects":1, "lastError":null},
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

    /** {@code host:port} of a bound address ({@code [v6]:port} for IPv6). */
    static String format(InetSocketAddress a) {
        String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

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
        o.put("epoch", r.endpoint().epoch());
        o.put("fenced", r.fencedBy() != null);
        o.put("fencedBy", r.fencedBy());
        o.put("fencedPeer", r.endpoint().lastFenced());
        o.put("inconsistent", r.endpoint().inconsistency());
        o.put("uuid", r.regions().metadata().uuid().toString());
        InetSocketAddress listen = r.listenAddress();
        o.put("listen", listen == null ? null : format(listen));
        ObjectNode peer = o.putObject("peer");
        peer.put("address", r.config().remote().toString());
        peer.put("path", r.config().remotePath());
        peer.put("connected", s.peerConnected());
        peer.put("generation", s.peerGeneration());
        Optional<PrimarySide<RemotePeerLink>> primary = r.primary();
        Optional<PeerInfo> info = primary.flatMap(PrimarySide::peerInfo);
        if (primary.isPresent()) {
            peer.put("node", info.map(PeerInfo::node).orElse(null));
            peer.put("role", info.map(i -> lower(i.role())).orElse(null));
            peer.put("epoch", info.map(PeerInfo::epoch).orElse(null));
            peer.put("markedRegions", info.map(i -> (long) i.marked().cardinality()).orElse(null));
            peer.put("connects", primary.get().peer().connects());
            peer.put("lastError", s.peerConnected() ? null : primary.get().peer().lastError());
        } else {
            String node = r.endpoint().connectedPrimary();
            peer.put("node", node);
            peer.put("role", node == null ? null : "primary");
            peer.putNull("epoch");
            peer.putNull("markedRegions");
            peer.put("connects", 0);
            peer.putNull("lastError");
        }
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
