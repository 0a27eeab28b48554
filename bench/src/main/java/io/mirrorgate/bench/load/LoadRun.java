package io.mirrorgate.bench.load;

import io.mirrorgate.common.lifecycle.DaemonThreads;
import io.mirrorgate.server.nbdclient.NbdClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The load test against a running ggate-server (bench/load-test.sh starts one):
 *
 * <pre>
 * LoadRun HOST NBD_PORT GGATE_PORT EXPORT GOOD HOSTILE SECONDS SERVER_PID MAX_RSS_MIB
 * </pre>
 *
 * GOOD clients (NBD, one thread each) write random 4 KiB blocks in their own region, read them
 * back and compare, and flush now and then; HOSTILE clients (see {@link Hostile}) misbehave in
 * five ways and reconnect when closed. The server's resident memory ({@code /proc/PID/status},
 * when SERVER_PID is not -1) is sampled every 200 ms. After SECONDS a fresh client must still be
 * served. Prints a summary; exits 0 when every good request was answered correctly, the server
 * is still serving and its peak RSS stayed under MAX_RSS_MIB, 1 otherwise.
 */
public final class LoadRun {
    private static final int BLOCK = 4096;
    private static final int SLOTS = 16;

    private LoadRun() {}

    /** The outcome of a run. */
    public record Result(long requests, long wrongData, long failures, long connectFailures,
            long hostileConnections, long hostileClosed, long maxRssKiB, boolean servingAfter,
            String firstFailure) {
        public boolean passed(long maxRssMiB) {
            // a run whose good clients got nothing done is no pass, however clean
            return requests > 0 && wrongData == 0 && failures == 0 && connectFailures == 0 && servingAfter
                    && (maxRssKiB < 0 || maxRssKiB <= maxRssMiB * 1024);
        }

        @Override
        public String toString() {
            return "requests=" + requests + " wrongData=" + wrongData + " failures=" + failures
                    + " connectFailures=" + connectFailures + " hostileConnections=" + hostileConnections
                    + " hostileClosedByServer=" + hostileClosed + " serverMaxRssMiB="
                    + (maxRssKiB < 0 ? "n/a" : String.valueOf(maxRssKiB / 1024)) + " servingAfter="
                    + servingAfter + (firstFailure != null ? " firstFailure=\"" + firstFailure + "\"" : "");
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 9) {
            System.err.println("usage: LoadRun HOST NBD_PORT GGATE_PORT EXPORT GOOD HOSTILE SECONDS"
                    + " SERVER_PID MAX_RSS_MIB");
            System.exit(2);
        }
        Result r = run(args[0], Integer.parseInt(args[1]), Integer.parseInt(args[2]), args[3],
                Integer.parseInt(args[4]), Integer.parseInt(args[5]), Integer.parseInt(args[6]),
                Long.parseLong(args[7]));
        long bound = Long.parseLong(args[8]);
        System.out.println("load: " + r + " rssBoundMiB=" + bound + " -> "
                + (r.passed(bound) ? "PASS" : "FAIL"));
        System.exit(r.passed(bound) ? 0 : 1);
    }

    /** Runs the load; {@code serverPid} -1 when the server's memory is not sampled. */
    public static Result run(String host, int nbdPort, int ggatePort, String export, int good,
            int hostile, int seconds, long serverPid) throws InterruptedException {
        LoadStats stats = new LoadStats();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<Thread> threads = new ArrayList<>();
        List<Hostile> bad = new ArrayList<>();
        for (int i = 0; i < hostile; i++) {
            Hostile h = new Hostile(host, nbdPort, ggatePort, export, i, stats);
            bad.add(h);
            threads.add(start("hostile-" + i, h));
        }
        for (int i = 0; i < good; i++) {
            int id = i;
            threads.add(start("good-" + i, () -> good(host, nbdPort, export, id, deadline, stats)));
        }
        while (System.nanoTime() < deadline) {
            sampleRss(serverPid, stats);
            Thread.sleep(200);
        }
        bad.forEach(Hostile::stop);
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(120));
        }
        boolean serving = stillServing(host, nbdPort, export, stats);
        sampleRss(serverPid, stats);
        return new Result(stats.counters.get(LoadStats.Name.REQUESTS),
                stats.counters.get(LoadStats.Name.WRONG_DATA), stats.counters.get(LoadStats.Name.FAILURES),
                stats.counters.get(LoadStats.Name.CONNECT_FAILURES),
                stats.counters.get(LoadStats.Name.HOSTILE_CONNECTIONS),
                stats.counters.get(LoadStats.Name.HOSTILE_CLOSED_BY_SERVER), stats.maxRssKiB.get(), serving,
                stats.firstFailure);
    }

    private static Thread start(String name, Runnable body) {
        return DaemonThreads.start(name, body);
    }

    private static void good(String host, int port, String export, int id, long deadline, LoadStats stats) {
        Random random = new Random(id);
        long base = (long) id * SLOTS * BLOCK;
        byte[][] written = new byte[SLOTS][];
        try (NbdClient c = connect(host, port, export, stats)) {
            if (c == null) {
                return;
            }
            while (System.nanoTime() < deadline) {
                int slot = random.nextInt(SLOTS);
                long offset = (base + (long) slot * BLOCK) % (c.size() - BLOCK);
                int op = random.nextInt(10);
                if (op < 4 || written[slot] == null) {
                    byte[] data = new byte[BLOCK];
                    random.nextBytes(data);
                    c.write(offset, data, op == 0);
                    written[slot] = data;
                } else if (op < 9) {
                    byte[] back = c.read(offset, BLOCK);
                    if (!Arrays.equals(back, written[slot])) {
                        stats.counters.increment(LoadStats.Name.WRONG_DATA);
                    }
                } else {
                    c.flush();
                }
                stats.counters.increment(LoadStats.Name.REQUESTS);
            }
        } catch (IOException | RuntimeException e) {
            stats.failed("client " + id + ": " + e);
        }
    }

    private static NbdClient connect(String host, int port, String export, LoadStats stats) {
        IOException last = null;
        for (int attempt = 0; attempt < 20; attempt++) {
            try {
                return NbdClient.connect(host, port, export);
            } catch (IOException e) {
                last = e;
                try {
                    Thread.sleep(100L * (attempt + 1));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        stats.counters.increment(LoadStats.Name.CONNECT_FAILURES);
        stats.failed("connect: " + last);
        return null;
    }

    private static boolean stillServing(String host, int port, String export, LoadStats stats) {
        try (NbdClient c = NbdClient.connect(host, port, export)) {
            c.read(0, BLOCK);
            return true;
        } catch (IOException e) {
            stats.failed("after the run: " + e);
            return false;
        }
    }

    private static void sampleRss(long pid, LoadStats stats) {
        if (pid < 0) {
            return;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    long kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    stats.maxRssKiB.accumulateAndGet(kib, Math::max);
                }
            }
        } catch (IOException | NumberFormatException gone) {
            // the server exited: the run will say it is not serving
        }
    }
}
