package io.mirrorgate.common.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mirrorgate.common.cli.Cli;
import io.mirrorgate.common.cli.ExitCodes;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A failed request carries its error code to the client, so its program exits with the right code. */
@Timeout(30)
class ControlServerTest {
    @TempDir
    Path dir;

    @Test
    void aHandlerFailureTravelsWithItsCodeAndTheClientKeepsIt() throws Exception {
        Path socket = dir.resolve("c.sock");
        try (ControlServer server = ControlServer.start(socket, request -> {
            throw new MirrorgateException(ErrorCode.ENOENT, "no resource r9");
        })) {
            JsonNode reply = ControlClient.call(socket, "status", Map.of("resource", "r9"));
            assertFalse(reply.path("ok").asBoolean(true));
            assertEquals("ENOENT", reply.path("code").asText());
            MirrorgateException failure = ControlClient.failure(reply, "r9: ");
            assertEquals(ErrorCode.ENOENT, failure.code());
            assertEquals("r9: no resource r9", failure.getMessage());
            assertEquals(ExitCodes.NO_SUCH, Cli.exitCode(failure), "66, not 74 (EIO) as before");
        }
    }

    @Test
    void aRequestThatIsNotJsonIsInvalid() throws Exception {
        Path socket = dir.resolve("c.sock");
        try (ControlServer server = ControlServer.start(socket, request -> new ObjectMapper().createObjectNode());
                SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.write(ByteBuffer.wrap("{not json\n".getBytes(StandardCharsets.UTF_8)));
            String line = new java.io.BufferedReader(new java.io.InputStreamReader(
                    Channels.newInputStream(channel), StandardCharsets.UTF_8)).readLine();
            JsonNode reply = new ObjectMapper().readTree(line);
            assertEquals("EINVAL", reply.path("code").asText(), line);
            assertEquals(ErrorCode.EINVAL, ControlClient.failure(reply, "").code());
        }
    }

    @Test
    void aReplyWithoutACodeIsAnIoError() throws Exception {
        JsonNode old = new ObjectMapper().readTree("{\"ok\":false,\"error\":\"failed\"}");
        assertEquals(ErrorCode.EIO, ControlClient.failure(old, "").code());
        JsonNode unknown = new ObjectMapper().readTree("{\"ok\":false,\"error\":\"x\",\"code\":\"EWHAT\"}");
        assertEquals(ErrorCode.EIO, ControlClient.failure(unknown, "").code());
    }
}
