package io.mirrorgate.common.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/** Sends one request to a {@link ControlServer} and returns its response. */
public final class ControlClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ControlClient() {}

    /** Sends {@code {"command": command, ...extra}} to {@code socket}; returns the response. */
    public static JsonNode call(Path socket, String command, Map<String, Object> extra)
            throws IOException {
        Map<String, Object> request = new java.util.LinkedHashMap<>();
        request.put("command", command);
        request.putAll(extra);
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.write(java.nio.ByteBuffer.wrap(
                    (JSON.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8)));
            BufferedReader in = new BufferedReader(new InputStreamReader(
                    Channels.newInputStream(channel), StandardCharsets.UTF_8));
            String line = in.readLine();
            if (line == null) {
                throw new IOException("control socket " + socket + " closed without an answer");
            }
            return JSON.readTree(line);
        }
    }

    /**
     * The failure a response with {@code "ok":false} reports, with its {@code code} (an {@link
     * ErrorCode} name; {@code EIO} when missing or unknown, as from an older server) and {@code
     * prefix} before its {@code error} text.
     */
    public static MirrorgateException failure(JsonNode response, String prefix) {
        ErrorCode code = ErrorCode.EIO;
        String name = response.path("code").asText("");
        for (ErrorCode c : ErrorCode.values()) {
            if (c.name().equals(name)) {
                code = c;
            }
        }
        return new MirrorgateException(code, prefix + response.path("error").asText("request failed"));
    }
}
