package io.mirrorgate.server.testing;

import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.protocol.Auth;
import io.mirrorgate.server.protocol.Challenge;
import io.mirrorgate.server.protocol.GgateCodec;
import io.mirrorgate.server.protocol.GgateMessage;
import io.mirrorgate.server.protocol.GgateProtocol;
import io.mirrorgate.server.protocol.HandshakeAuth;
import io.mirrorgate.server.protocol.Hello;
import io.mirrorgate.server.protocol.Welcome;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;

/**
 * A blocking ggate peer over a plain socket, for tests that hand-craft frames (bad CRC,
 * garbage, truncated frames): it encodes and decodes with the real codec in an EmbeddedChannel
 * but writes whatever bytes the test gives it.
 */
public final class RawGgateSocket implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final EmbeddedChannel codec;

    public RawGgateSocket(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        in = socket.getInputStream();
        codec = new EmbeddedChannel(new GgateCodec(GgateProtocol.DEFAULT_MAX_REQUEST_SIZE));
    }

    /** Runs the handshake; returns the server's welcome (OK or refusal). */
    public Welcome handshake(byte[] key, String export, Access access, long epoch) throws IOException {
        return handshake(key, export, access, epoch, 0);
    }

    /** Runs the handshake as client session {@code session} (0: none). */
    public Welcome handshake(byte[] key, String export, Access access, long epoch, long session)
            throws IOException {
        Hello hello = new Hello(GgateProtocol.VERSION, access, 0, epoch, session, HandshakeAuth.nonce(),
                export, "raw-test");
        send(hello);
        Challenge challenge = (Challenge) receive();
        send(new Auth(HandshakeAuth.clientProof(key, hello, challenge.serverNonce())));
        return (Welcome) receive();
    }

    /** The wire bytes of {@code message}. */
    public byte[] encode(GgateMessage message) {
        codec.writeOutbound(message);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuf part;
        while ((part = codec.readOutbound()) != null) {
            out.writeBytes(ByteBufUtil.getBytes(part));
            part.release();
        }
        return out.toByteArray();
    }

    public void send(GgateMessage message) throws IOException {
        sendRaw(encode(message));
    }

    public void sendRaw(byte[] bytes) throws IOException {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
    }

    /** The next message from the server; the caller releases payload messages. */
    public GgateMessage receive() throws IOException {
        byte[] buf = new byte[65536];
        while (true) {
            Object m = codec.readInbound();
            if (m != null) {
                return (GgateMessage) m;
            }
            int n = in.read(buf);
            if (n < 0) {
                throw new IOException("connection closed by the server");
            }
            codec.writeInbound(Unpooled.copiedBuffer(buf, 0, n));
        }
    }

    /** Whether the server closed the connection within the socket timeout (nothing else sent). */
    public boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        codec.finishAndReleaseAll();
        socket.close();
    }
}
