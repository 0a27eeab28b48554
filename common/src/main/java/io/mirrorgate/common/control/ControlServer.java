package io.mirrorgate.common.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mirrorgate.common.lifecycle.DaemonThreads;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local control endpoint: a Unix domain socket that answers one JSON request line with one
 * JSON response line. Requests look like {@code {"command":"info"}}; a handler maps them to a
 * response object, and a handler failure becomes {@code {"ok":false,"error":"...","code":"EINVAL"}}
 * with the failure's {@link ErrorCode} ({@link ControlClient#failure} turns it back into an
 * exception with that code).
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);
    /** Longest request line accepted. */
    static final int MAX_LINE = 64 * 1024;
    /** How long closing waits for the reply in progress to be written. */
    private static final long REPLY_GRACE_MS = 5_000;

    private final ObjectMapper json = new ObjectMapper();
    private final ServerSocketChannel server;
    private final Path socket;
    private final Function<JsonNode, ObjectNode> handler;
    private final Thread acceptor;
    private volatile boolean closed;

    private ControlServer(ServerSocketChannel server, Path socket,
            Function<JsonNode, ObjectNode> handler) {
        this.server = server;
        this.socket = socket;
        this.handler = handler;
        this.acceptor = DaemonThreads.named("control-" + socket.getFileName()).newThread(this::acceptLoop);
    }

    /** Listens on {@code socket} (which must not exist) and serves requests with {@code handler}. */
    public static ControlServer start(Path socket, Function<JsonNode, ObjectNode> handler)
            throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            server.close();
            throw new IOException("cannot listen on control socket " + socket + ": " + e.getMessage(), e);
        }
        ControlServer control = new ControlServer(server, socket, handler);
        control.acceptor.start();
        return control;
    }

    public Path socket() {
        return socket;
    }

    private void acceptLoop() {
        while (!closed) {
            try (SocketChannel client = server.accept()) {
                serve(client);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                if (!closed) {
                    LOG.warn("control socket={} request failed: {}", socket, e.toString());
                }
            }
        }
    }

    private void serve(SocketChannel client) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(
                Channels.newInputStream(client), StandardCharsets.UTF_8));
        String line = in.readLine();
        ObjectNode response;
        if (line == null) {
            return;
        }
        if (line.length() > MAX_LINE) {
            response = error(ErrorCode.EINVAL, "request line: " + line.length() + " characters (expected: <= "
                    + MAX_LINE + ")");
        } else {
            try {
                response = handler.apply(json.readTree(line));
            } catch (IOException e) {
                response = error(ErrorCode.EINVAL, "request: not a JSON line: " + e.getMessage());
            } catch (RuntimeException e) {
                response = error(MirrorgateException.codeOf(e), MirrorgateException.messageOf(e));
            }
        }
        OutputStream out = Channels.newOutputStream(client);
        out.write((json.writeValueAsString(response) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private ObjectNode error(ErrorCode code, String message) {
        ObjectNode node = json.createObjectNode();
        node.put("ok", false);
        node.put("error", message);
        node.put("code", code.name());
        return node;
    }

    /**
     * Stops listening, after the request being answered (if any) got its reply: a {@code detach}
     * ends the process right after this, and its caller must still hear that it worked. Removes
     * nothing (the run directory owns the socket file).
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        server.close();
        if (Thread.currentThread() != acceptor) {
            try {
                acceptor.join(REPLY_GRACE_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
