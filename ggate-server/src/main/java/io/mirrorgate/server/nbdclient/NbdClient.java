package io.mirrorgate.server.nbdclient;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;

/**
 * A small blocking NBD client (fixed newstyle, {@code NBD_OPT_GO}, simple replies, one request
 * at a time, or a batch pipelined with {@link #writePipelined}/{@link #readPipelined}). It is
 * what the demo, the tools and the NBD benchmark of this project use to talk to an NBD endpoint
 * without an external program; it is simple rather than fast.
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

    /**
     * Pipelined writes: sends a write of {@code length} bytes of {@code data} (from its start) at
     * each of the first {@code count} offsets, then waits for their replies in whatever order
     * the server sends them. After a failure the connection is out of step: {@link #close}
     * then only closes the socket.
     */
    public void writePipelined(long[] offsets, int count, byte[] data, int length, boolean fua)
            throws IOException {
        if (length > data.length) {
            throw new IllegalArgumentException("length: " + length + " (expected: <= the data's "
                    + data.length + ")");
        }
        long first = nextCookie;
        try {
            for (int i = 0; i < count; i++) {
                sendHeader(CMD_WRITE, fua ? CMD_FLAG_FUA : 0, offsets[i], length);
                out.write(data, 0, length);
            }
            out.flush();
            receivePipelined(first, count, null, 0);
        } catch (IOException | RuntimeException e) {
            broken = true;
            throw e;
        }
    }

    /**
     * Pipelined reads: sends a read of {@code length} bytes at each of the first {@code count}
     * offsets, then takes the replies in whatever order the server sends them, each into {@code
     * sink} (overwritten each time: for callers that move data without looking at it, such as
     * benchmarks). After a failure the connection is out of step, as for {@link #writePipelined}.
     */
    public void readPipelined(long[] offsets, int count, int length, byte[] sink)
            throws IOException {
        if (length > sink.length) {
            throw new IllegalArgumentException("length: " + length + " (expected: <= the sink's "
                    + sink.length + ")");
        }
        long first = nextCookie;
        try {
            for (int i = 0; i < count; i++) {
                sendHeader(CMD_READ, 0, offsets[i], length);
            }
            out.flush();
            receivePipelined(first, count, sink, length);
        } catch (IOException | RuntimeException e) {
            broken = true;
            throw e;
        }
    }

    private void receivePipelined(long first, int count, byte[] sink, int length)
            throws IOException {
        BitSet pending = new BitSet(count);
        pending.set(0, count);
        for (int i = 0; i < count; i++) {
            long cookie = replyHeader();
            long index = cookie - first;
            if (index < 0 || index >= count || !pending.get((int) index)) {
                throw new IOException("reply cookie " + cookie + " (expected: one of the "
                        + pending.cardinality() + " pending in " + first + ".." + (first + count - 1)
                        + ")");
            }
            pending.clear((int) index);
            if (sink != null) {
                in.readFully(sink, 0, length);
            }
        }
    }

    private void send(int type, int flags, long offset, int length, byte[] payload)
            throws IOException {
        try {
            sendHeader(type, flags, offset, length);
            if (payload != null) {
                out.write(payload);
            }
            out.flush();
        } catch (IOException e) {
            broken = true;
            throw e;
        }
    }

    private void sendHeader(int type, int flags, long offset, int length) throws IOException {
        out.writeInt(REQUEST_MAGIC);
        out.writeShort(flags);
        out.writeShort(type);
        out.writeLong(nextCookie++);
        out.writeLong(offset);
        out.writeInt(length);
    }

    private void receive(byte[] data) throws IOException {
        try {
            long cookie = replyHeader();
            if (cookie != nextCookie - 1) {
                throw new IOException("reply cookie " + cookie + " (expected: " + (nextCookie - 1)
                        + ")");
            }
            if (data != null) {
                in.readFully(data);
            }
        } catch (IOException e) {
            broken = true;
            throw e;
        }
    }

    /** Reads a simple reply's header; returns its cookie, or throws the error it carries. */
    private long replyHeader() throws IOException {
        if (in.readInt() != SIMPLE_REPLY_MAGIC) {
            throw new IOException("bad reply magic (expected a simple reply)");
        }
        int error = in.readInt();
        long cookie = in.readLong();
        if (error != 0) {
            throw new MirrorgateException(ErrorCode.fromErrno(error), "NBD server replied with error "
                    + ErrorCode.fromErrno(error) + " (errno " + error + ") to request " + cookie);
        }
        return cookie;
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
