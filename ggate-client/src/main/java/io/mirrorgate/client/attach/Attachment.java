package io.mirrorgate.client.attach;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mirrorgate.common.control.ControlServer;
import io.mirrorgate.client.control.RunDirectory;
import io.mirrorgate.client.remote.RemoteBlockDevice;
import io.mirrorgate.client.remote.RemoteDeviceOptions;
import io.mirrorgate.client.remote.RemoteDeviceStats;
import io.mirrorgate.common.lifecycle.CloseStack;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.export.SingleExportResolver;
import io.mirrorgate.server.nbdprotocol.NbdConstants;
import io.mirrorgate.server.nbd.NbdServer;
import io.mirrorgate.common.net.HostPort;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attached remote disk (the {@code ggatec} unit): the remote export as a {@link
 * RemoteBlockDevice}, served on a local NBD endpoint, and answering {@code list}, {@code
 * detach} and {@code rescue} on its control socket. Closing it drains the NBD clients'
 * requests, then the remote device's, then gives up its id.
 */
public final class Attachment implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Attachment.class);

    private final ObjectMapper json = new ObjectMapper();
    private final CloseStack opened = new CloseStack("attachment");
    private final CountDownLatch detached = new CountDownLatch(1);
    private final Instant started = Instant.now();
    private final RemoteDeviceOptions options;
    private RunDirectory.Unit unit;
    private RemoteBlockDevice device;
    private NbdServer nbd;
    private boolean closed;
    private boolean attached;

    private Attachment(RemoteDeviceOptions options) {
        this.options = options;
    }

    /**
     * Claims an id in {@code runDirectory}, connects to the export (a refusal or an unreachable
     * server fails here, with the reason), serves it over NBD on {@code nbdListen} and opens
     * the control socket.
     */
    public static Attachment start(RemoteDeviceOptions options, HostPort nbdListen,
            RunDirectory runDirectory) throws IOException {
        Attachment attachment = new Attachment(options);
        try {
            attachment.open(nbdListen, runDirectory);
            return attachment;
        } catch (IOException | RuntimeException e) {
            attachment.close();
            throw e;
        }
    }

    private void open(HostPort nbdListen, RunDirectory runDirectory) throws IOException {
        unit = runDirectory.claim();
        opened.push(unit);
        device = RemoteBlockDevice.connect(options);
        opened.push(device);
        // the NBD channels share the remote connection's event loop: no thread hop per request
        // or reply (the loop is the device's; the server, closed first, leaves it running)
        nbd = NbdServer.start(new SingleExportResolver(unit.id(), device, options.access()),
                new InetSocketAddress(nbdListen.host(), nbdListen.port()),
                NbdConstants.DEFAULT_MAX_PAYLOAD, device.eventLoop(), "--nbd-listen");
        opened.push(nbd);
        opened.push(ControlServer.start(unit.socket(), this::control));
        attached = true;
        LOG.info("attached id={} remote={}:{} path={} access={} endpoint={}", unit.id(),
                options.host(), options.port(), options.exportPath(), options.access(), uri());
    }

    /** The attachment's id ({@code ggateN}). */
    public String id() {
        return unit.id();
    }

    /** The local NBD endpoint, as a URI clients understand. */
    public String uri() {
        return "nbd://" + HostPort.of(nbd.localAddress()) + "/" + unit.id();
    }

    /** The remote device, for callers embedding an attachment. */
    public RemoteBlockDevice device() {
        return device;
    }

    /** Blocks until {@code detach} is asked on the control socket. */
    public void awaitDetach() throws InterruptedException {
        detached.await();
    }

    /** Ends {@link #awaitDetach()}. */
    public void detach() {
        detached.countDown();
    }

    private ObjectNode control(JsonNode request) {
        String command = request.path("command").asText("");
        switch (command) {
            case "info":
                return info();
            case "detach":
                ObjectNode reply = info();
                detach();
                return reply;
            case "rescue":
                device.reconnectNow();
                return info();
            default:
                throw new MirrorgateException(ErrorCode.EINVAL, "unknown command '" + command
                        + "' (expected: info, detach, rescue)");
        }
    }

    /** The attachment's state and counters, as {@code list --json} shows them. */
    public ObjectNode info() {
        RemoteDeviceStats stats = device.stats();
        ObjectNode node = json.createObjectNode();
        node.put("ok", true);
        node.put("id", unit.id());
        node.put("pid", ProcessHandle.current().pid());
        node.put("remote", new HostPort(options.host(), options.port()).toString());
        node.put("path", options.exportPath());
        node.put("access", options.access().name().toLowerCase(java.util.Locale.ROOT));
        node.put("endpoint", uri());
        node.put("state", stats.state().name().toLowerCase(java.util.Locale.ROOT));
        node.put("size", device.size());
        node.put("blockSize", device.blockSize());
        node.put("compression", device.compressionNegotiated());
        node.put("started", started.toString());
        node.put("requests", stats.requests());
        node.put("failures", stats.failures());
        node.put("inFlight", stats.inFlight());
        node.put("queued", stats.queued());
        node.put("bytesRead", stats.payloadBytesIn());
        node.put("bytesWritten", stats.payloadBytesOut());
        node.put("wireBytesIn", stats.bytesIn());
        node.put("wireBytesOut", stats.bytesOut());
        node.put("reconnects", stats.reconnects());
        node.put("resent", stats.resent());
        node.put("nbdClients", nbd.connectionCount());
        if (stats.lastError() != null) {
            node.put("lastError", stats.lastError());
        }
        return node;
    }

    /** Drains and closes, in reverse order of opening. Idempotent. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        detach();
        try {
            opened.close();
        } catch (RuntimeException e) {
            throw new IOException("detach: " + MirrorgateException.messageOf(e), e);
        }
        if (attached) {
            LOG.info("detached id={}", unit.id());
        }
    }
}
