package io.mirrorgate.server.nbd;

import io.mirrorgate.server.nbdprotocol.NbdConstants;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * A minimal blocking NBD client for tests that need to send what real clients never send
 * (writes to read-only exports, oversized requests, garbage) and see the exact reply.
 */
final class RawNbdClient implements AutoCloseable {
    final Socket socket;
    final DataInputStream in;
    final DataOutputStream out;
    int handshakeFlags;
    long size;
    int transmissionFlags;

    /** An option reply as received. */
    record OptionReply(int option, int type, byte[] data) {
        String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    /** A reply to a request: errno, message (structured only), data (reads). */
    record Reply(long cookie, int error, int chunkType, String message, byte[] data) {}

    RawNbdClient(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(30_000);
        in = new DataInputStream(socket.getInputStream());
        out = new DataOutputStream(socket.getOutputStream());
        if (in.readLong() != NbdConstants.NBDMAGIC || in.readLong() != NbdConstants.IHAVEOPT) {
            throw new IOException("bad greeting");
        }
        handshakeFlags = in.readUnsignedShort();
        out.writeInt(NbdConstants.FLAG_FIXED_NEWSTYLE | NbdConstants.FLAG_NO_ZEROES);
    }

    /**
     * A client that floods: connects with a small receive buffer, selects {@code export} with
     * NBD_OPT_GO and sends {@code count} READs of {@code length} at offset 0, reading no reply (not
     * even GO's). The caller closes the socket.
     */
    static Socket readFlood(int port, String export, int count, int length) throws IOException {
        Socket flood = new Socket();
        try {
            flood.setReceiveBufferSize(8192);
            flood.connect(new InetSocketAddress("127.0.0.1", port));
            DataOutputStream out = new DataOutputStream(flood.getOutputStream());
            new DataInputStream(flood.getInputStream()).readFully(new byte[18]);
            out.writeInt(NbdConstants.FLAG_FIXED_NEWSTYLE | NbdConstants.FLAG_NO_ZEROES);
            byte[] go = goData(export);
            out.writeLong(NbdConstants.IHAVEOPT);
            out.writeInt(NbdConstants.OPT_GO);
            out.writeInt(go.length);
            out.write(go);
            for (int i = 0; i < count; i++) {
                out.writeInt(NbdConstants.REQUEST_MAGIC);
                out.writeShort(0);
                out.writeShort(NbdConstants.CMD_READ);
                out.writeLong(i);
                out.writeLong(0);
                out.writeInt(length);
            }
            out.flush();
            return flood;
        } catch (IOException | RuntimeException e) {
            flood.close();
            throw e;
        }
    }

    void sendOption(int option, byte[] data) throws IOException {
        out.writeLong(NbdConstants.IHAVEOPT);
        out.writeInt(option);
        out.writeInt(data.length);
        out.write(data);
        out.flush();
    }

    OptionReply readOptionReply() throws IOException {
        long magic = in.readLong();
        if (magic != NbdConstants.OPTION_REPLY_MAGIC) {
            throw new IOException("option reply magic " + Long.toHexString(magic));
        }
        int option = in.readInt();
        int type = in.readInt();
        byte[] data = new byte[in.readInt()];
        in.readFully(data);
        return new OptionReply(option, type, data);
    }

    static byte[] goData(String name, int... infos) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + n.length + 2 + 2 * infos.length);
        b.putInt(n.length).put(n).putShort((short) infos.length);
        for (int i : infos) {
            b.putShort((short) i);
        }
        return b.array();
    }

    /** Meta-context option data: export name, then the queries. */
    static byte[] metaContextData(String name, String... queries) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (DataOutputStream d = new DataOutputStream(bytes)) {
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            d.writeInt(n.length);
            d.write(n);
            d.writeInt(queries.length);
            for (String q : queries) {
                byte[] b = q.getBytes(StandardCharsets.UTF_8);
                d.writeInt(b.length);
                d.write(b);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** NBD_OPT_STRUCTURED_REPLY (when asked) then NBD_OPT_GO; returns the final reply. */
    OptionReply go(String name, boolean structured) throws IOException {
        if (structured) {
            sendOption(NbdConstants.OPT_STRUCTURED_REPLY, new byte[0]);
            OptionReply ack = readOptionReply();
            if (ack.type() != NbdConstants.REP_ACK) {
                throw new IOException("structured reply refused: " + ack.type());
            }
        }
        sendOption(NbdConstants.OPT_GO, goData(name, NbdConstants.INFO_BLOCK_SIZE));
        while (true) {
            OptionReply r = readOptionReply();
            if (r.type() == NbdConstants.REP_INFO) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(r.data());
                if (b.getShort() == NbdConstants.INFO_EXPORT) {
                    size = b.getLong();
                    transmissionFlags = b.getShort() & 0xffff;
                }
                continue;
            }
            return r;
        }
    }

    void sendRequest(int flags, int type, long cookie, long offset, long length, byte[] payload)
            throws IOException {
        out.writeInt(NbdConstants.REQUEST_MAGIC);
        out.writeShort(flags);
        out.writeShort(type);
        out.writeLong(cookie);
        out.writeLong(offset);
        out.writeInt((int) length);
        if (payload != null) {
            out.write(payload);
        }
        out.flush();
    }

    /** Reads one reply; {@code readLength} is the data length expected if it is a good read. */
    Reply readReply(boolean structured, int readLength) throws IOException {
        int magic = in.readInt();
        if (!structured) {
            if (magic != NbdConstants.SIMPLE_REPLY_MAGIC) {
                throw new IOException("simple reply magic " + Integer.toHexString(magic));
            }
            int error = in.readInt();
            long cookie = in.readLong();
            byte[] data = new byte[error == 0 ? readLength : 0];
            in.readFully(data);
            return new Reply(cookie, error, -1, null, data);
        }
        if (magic == NbdConstants.SIMPLE_REPLY_MAGIC) {
            int error = in.readInt();
            return new Reply(in.readLong(), error, -1, null, new byte[0]);
        }
        if (magic != NbdConstants.STRUCTURED_REPLY_MAGIC) {
            throw new IOException("structured reply magic " + Integer.toHexString(magic));
        }
        int flags = in.readUnsignedShort();
        int type = in.readUnsignedShort();
        long cookie = in.readLong();
        byte[] payload = new byte[in.readInt()];
        in.readFully(payload);
        if ((flags & NbdConstants.REPLY_FLAG_DONE) == 0) {
            throw new IOException("multi-chunk replies are not expected from this server");
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(payload);
        if (type == NbdConstants.REPLY_TYPE_NONE) {
            return new Reply(cookie, 0, type, null, new byte[0]);
        }
        if (type == NbdConstants.REPLY_TYPE_OFFSET_HOLE) {
            java.nio.ByteBuffer hole = java.nio.ByteBuffer.wrap(payload);
            hole.getLong();
            return new Reply(cookie, 0, type, null, new byte[hole.getInt()]);
        }
        if (type == NbdConstants.REPLY_TYPE_BLOCK_STATUS) {
            return new Reply(cookie, 0, type, null, payload);
        }
        if (type == NbdConstants.REPLY_TYPE_OFFSET_DATA) {
            b.getLong();
            byte[] data = new byte[b.remaining()];
            b.get(data);
            return new Reply(cookie, 0, type, null, data);
        }
        int error = b.getInt();
        byte[] message = new byte[b.getShort() & 0xffff];
        b.get(message);
        return new Reply(cookie, error, type, new String(message, StandardCharsets.UTF_8), new byte[0]);
    }

    /** Whether the server closed the connection (EOF within the socket timeout). */
    boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (EOFException e) {
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return e.getMessage() != null && e.getMessage().contains("reset");
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
