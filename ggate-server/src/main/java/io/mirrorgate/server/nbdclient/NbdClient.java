package io.mirrorgate.server.nbdclient;

import io.mirrorgate.server.error.ErrorCode;
import io.mirrorgate.server.error.MirrorgateException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A small blocking NBD client (fixed newstyle, {@code NBD_OPT_GO}, simple replies, one request
 * at a time). It is what the demo and the tools of this project use to write through an NBD
 * endpoint without an external program; it is not meant to be fast.
 *
 * <p>Wire layout of a transmission request (big-endian):
 * <pre>
 *  0               4       6       8                              16
 * +---------------+-------+-------+-------------------------------+
 * | magic 25609513| flags | type  | cookie                        |
 * +---------------+-------+-------+-------------------------------+
 * | offset (u64)                  | length (u32)  | payload ...
 * +-------------------------------+---------------+
 * </pre>
 * and of a simple reply: {@code magic 67446698 (u32) | error (u32) | cookie (u64) | data}.
 */
public final class NbdClient implements AutoCloseable {
    private static final long NBDMAGIC = 0x4e42444d41474943L;
    private static final long IHAVEOPT = 0x49484156454F5054L;
    private static final long REPLY_MAGIC = 0x3e889045565a9L;
    private static final int REQUEST_MAGIC = 0x25609513;
    private static final int SIMPLE_REPLY_MAGIC = 0x67446698;
    private static final int FLAG_FIXED_NEWSTYLE = 1;
    private static final int FLAG_NO_ZEROES = 2;
    private static final int OPT_GO = 7;
    private static final int REP_ACK = 1;
    private static final int REP_INFO = 3;
    private static final int INFO_EXPORT = 0;
    private static final int CMD_READ = 0;
    private static final int CMD_WRITE = 1;
    private static final int CMD_DISC = 2;
    private static final int CMD_FLUSH = 3;
    private static final int CMD_TRIM = 4;
    private static final int CMD_WRITE_ZEROES = 6;
    private static final int CMD_FLAG_FUA = 1;
    /** Transmission flag: the export is read-only. */
    public static final int TFLAG_READ_ONLY = 1 << 1;

    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    private final long size;
    private final int transmissionFlags;
    private long nextCookie = 1;
    private boolean closed;
    /** A request or reply failed on the socket: the connection is unusable, close only closes. */
    private boolean broken;

    private NbdClient(Socket socket, DataInputStream in, DataOutputStream out, long size,
            int transmissionFlags) {
        this.socket = socket;
        this.in = in;
        this.out = out;
        this.size = size;
        this.transmissionFlags = transmissionFlags;
    }

    /** Connects to {@code host:port} and opens export {@code name} with NBD_OPT_GO. */
    public static NbdClient connect(String host, int port, String name) throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(host, port), 10_000);
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(60_000);
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            DataOutputStream out = new DataOutputStream(
                    new BufferedOutputStream(socket.getOutputStream()));
            if (in.readLong() != NBDMAGIC || in.readLong() != IHAVEOPT) {
                throw new IOException(host + ":" + port + " is not a newstyle NBD server");
            }
            int serverFlags = in.readUnsignedShort();
            if ((serverFlags & FLAG_FIXED_NEWSTYLE) == 0) {
                throw new IOException(host + ":" + port + " does not speak fixed newstyle NBD");
            }
            out.writeInt(FLAG_FIXED_NEWSTYLE | (serverFlags & FLAG_NO_ZEROES));
            byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
            out.writeLong(IHAVEOPT);
            out.writeInt(OPT_GO);
            out.writeInt(4 + nameBytes.length + 2);
            out.writeInt(nameBytes.length);
            out.write(nameBytes);
            out.writeShort(0);
            out.flush();
            long size = -1;
            int flags = 0;
            while (true) {
                if (in.readLong() != REPLY_MAGIC) {
                    throw new IOException("bad option reply magic from " + host + ":" + port);
                }
                in.readInt();
                int type = in.readInt();
                int length = in.readInt();
                if (length < 0 || length > 64 * 1024) {
                    throw new IOException("option reply length: " + length + " (expected: <= 65536)");
                }
                byte[] data = new byte[length];
                in.readFully(data);
                if (type == REP_ACK) {
                    break;
                }
                if ((type & 0x80000000) != 0) {
                    throw new MirrorgateException(ErrorCode.ENOENT, "export '" + name + "' refused by "
                            + host + ":" + port + ": " + new String(data, StandardCharsets.UTF_8));
                }
                if (type == REP_INFO && length >= 12 && (((data[0] & 0xff) << 8) | (data[1] & 0xff)) == INFO_EXPORT) {
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(data, 2, 10);
                    size = b.getLong();
                    flags = b.getShort() & 0xffff;
                }
            }
            if (size < 0) {
                throw new IOException("server did not send the export size for '" + name + "'");
            }
            return new NbdClient(socket, in, out, size, flags);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** The export's size in bytes. */
    public long size() {
        return size;
    }

    /** The transmission flags the server sent. */
    public int transmissionFlags() {
        return transmissionFlags;
    }

    /** Reads {@code length} bytes at {@code offset}. */
    public byte[] read(long offset, int length) throws IOException {
        send(CMD_READ, 0, offset, length, null);
        byte[] data = new byte[length];
        receive(data);
        return data;
    }

    /** Writes {@code data} at {@code offset}, with force-unit-access if {@code fua}. */
    public void write(long offset, byte[] data, boolean fua) throws IOException {
        send(CMD_WRITE, fua ? CMD_FLAG_FUA : 0, offset, data.length, data);
        receive(null);
    }

    public void flush() throws IOException {
        send(CMD_FLUSH, 0, 0, 0, null);
        receive(null);
    }

    public void trim(long offset, int length) throws IOException {
        send(CMD_TRIM, 0, offset, length, null);
        receive(null);
    }

    public void writeZeroes(long offset, int length) throws IOException {
        send(CMD_WRITE_ZEROES, 0, offset, length, null);
        receive(null);
    }

    private void send(int type, int flags, long offset, int length, byte[] payload)
            throws IOException {
        try {
            writeRequest(type, flags, offset, length, payload);
        } catch (IOException e) {
            broken = true;
            throw e;
        }
    }

    private void writeRequest(int type, int flags, long offset, int length, byte[] payload)
            throws IOException {
        out.writeInt(REQUEST_MAGIC);
        out.writeShort(flags);
        out.writeShort(type);
        out.writeLong(nextCookie++);
        out.writeLong(offset);
        out.writeInt(length);
        if (payload != null) {
            out.write(payload);
        }
        out.flush();
    }

    private void receive(byte[] data) throws IOException {
        try {
            readReply(data);
        } catch (IOException e) {
            broken = true;
            throw e;
        }
    }

    private void readReply(byte[] data) throws IOException {
        if (in.readInt() != SIMPLE_REPLY_MAGIC) {
            throw new IOException("bad reply magic (expected a simple reply)");
        }
        int error = in.readInt();
        long cookie = in.readLong();
        if (cookie != nextCookie - 1) {
            throw new IOException("reply cookie " + cookie + " (expected: " + (nextCookie - 1) + ")");
        }
        if (error != 0) {
            throw new MirrorgateException(ErrorCode.fromErrno(error),
                    "NBD server replied with error " + ErrorCode.fromErrno(error) + " (errno " + error + ")");
        }
        if (data != null) {
            in.readFully(data);
        }
    }

    /**
     * Sends NBD_CMD_DISC and closes the socket; after a failed request or reply (the server went
     * away) only closes the socket, since there is no connection left to end politely. Idempotent.
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (!broken) {
                send(CMD_DISC, 0, 0, 0, null);
            }
        } finally {
            socket.close();
        }
    }

}
