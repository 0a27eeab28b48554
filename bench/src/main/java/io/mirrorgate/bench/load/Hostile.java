package io.mirrorgate.bench.load;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * One hostile client, reconnecting whenever the server closes it, until told to stop: each
 * connection is one of five behaviours, by its number.
 *
 * <ol start="0">
 *   <li>NBD READ flood: pipelined 1 MiB READs, replies never read;</li>
 *   <li>NBD partial WRITE: declares 1 MiB, sends half, then nothing;</li>
 *   <li>idle: connects and says nothing;</li>
 *   <li>ggate before authentication: a REQUEST header announcing 32 MiB, then a trickle;</li>
 *   <li>NBD option flood: NBD_OPT_INFO without reading the replies.</li>
 * </ol>
 */
final class Hostile implements Runnable {
    private static final long IHAVEOPT = 0x49484156454F5054L;
    private static final int REQUEST_MAGIC = 0x25609513;

    private final String host;
    private final int nbdPort;
    private final int ggatePort;
    private final String export;
    private final int kind;
    private final LoadStats stats;
    private volatile boolean running = true;
    private volatile Socket socket;

    Hostile(String host, int nbdPort, int ggatePort, String export, int kind, LoadStats stats) {
        this.host = host;
        this.nbdPort = nbdPort;
        this.ggatePort = ggatePort;
        this.export = export;
        this.kind = kind % 5;
        this.stats = stats;
    }

    void stop() {
        running = false;
        Socket s = socket;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    @Override
    public void run() {
        while (running) {
            try (Socket s = new Socket()) {
                socket = s;
                s.setReceiveBufferSize(8192);
                s.connect(new InetSocketAddress(host, kind == 3 ? ggatePort : nbdPort), 10_000);
                stats.counters.increment(LoadStats.Name.HOSTILE_CONNECTIONS);
                behave(s);
            } catch (IOException closed) {
                stats.counters.increment(LoadStats.Name.HOSTILE_CLOSED_BY_SERVER);
            }
            pause(50);
        }
    }

    private void behave(Socket s) throws IOException {
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        if (kind == 3) {
            out.writeInt(0x4D474754);
            out.writeByte(5);
            out.writeByte(0);
            out.writeShort(0);
            out.writeInt(32 << 20);
            while (running) {
                out.write(new byte[1024]);
                pause(100);
            }
            return;
        }
        if (kind == 2) {
            while (running && s.getInputStream().read() >= 0) {
                // idle: only reads what the server says (its greeting) until it closes
            }
            return;
        }
        DataInputStream in = new DataInputStream(s.getInputStream());
        in.readFully(new byte[18]);
        out.writeInt(3);
        byte[] name = export.getBytes(StandardCharsets.UTF_8);
        if (kind == 4) {
            while (running) {
                option(out, 6, name);
            }
            return;
        }
        option(out, 7, name);
        out.flush();
        readUntilAck(in);
        if (kind == 0) {
            long cookie = 0;
            while (running) {
                request(out, 0, cookie++, 0, 1 << 20);
            }
        } else {
            request(out, 1, 1, 0, 1 << 20);
            out.write(new byte[512 << 10]);
            out.flush();
            while (running && in.read() >= 0) {
                // the half-sent write: wait for the server's timeout
            }
        }
    }

    private static void option(DataOutputStream out, int option, byte[] name) throws IOException {
        out.writeLong(IHAVEOPT);
        out.writeInt(option);
        out.writeInt(4 + name.length + 2);
        out.writeInt(name.length);
        out.write(name);
        out.writeShort(0);
    }

    private static void request(DataOutputStream out, int type, long cookie, long offset, int length)
            throws IOException {
        out.writeInt(REQUEST_MAGIC);
        out.writeShort(0);
        out.writeShort(type);
        out.writeLong(cookie);
        out.writeLong(offset);
        out.writeInt(length);
    }

    private static void readUntilAck(DataInputStream in) throws IOException {
        while (true) {
            in.readLong();
            in.readInt();
            int type = in.readInt();
            in.readFully(new byte[in.readInt()]);
            if (type == 1 || type < 0) {
                return;
            }
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
