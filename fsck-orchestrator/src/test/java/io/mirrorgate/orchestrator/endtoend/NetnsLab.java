package io.mirrorgate.orchestrator.endtoend;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.orchestrator.platform.CommandRunner;
import io.mirrorgate.orchestrator.platform.ProcessRunner;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Network namespaces on one bridge (itself in a namespace of its own, so the host's network is
 * untouched), and the processes started in them. A process enters only the network namespace
 * ({@code nsenter --net}), so that every node shares the host's mount namespace: the test sees
 * the mounts and loop devices the nodes make. {@link #close} kills every process started here
 * (SIGKILL, with descendants) and deletes the namespaces (their veths go with them).
 */
final class NetnsLab implements AutoCloseable {
    private static final Duration STEP = Duration.ofSeconds(60);

    private final String suffix = Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 16, 1 << 20));
    private final String bridge = "mgbr-" + suffix;
    private final Path dir;
    private final CommandRunner shell = new ProcessRunner();
    private final Map<String, String> namespaces = new LinkedHashMap<>(); // node -> namespace
    private final List<Process> processes = Collections.synchronizedList(new ArrayList<>());

    NetnsLab(Path dir) {
        this.dir = dir;
        sh("ip", "netns", "add", bridge);
        namespaces.put("bridge", bridge);
        sh("ip", "-n", bridge, "link", "add", "br0", "type", "bridge");
        sh("ip", "-n", bridge, "link", "set", "br0", "up");
    }

    /** A namespace for {@code node} with {@code vNODE} on the bridge, addressed {@code cidr}. */
    String addNode(String node, String cidr) {
        String ns = "mg" + node + "-" + suffix;
        sh("ip", "netns", "add", ns);
        namespaces.put(node, ns);
        sh("ip", "-n", ns, "link", "set", "lo", "up");
        sh("ip", "link", "add", iface(node), "netns", ns, "type", "veth", "peer", "name", "p" + node, "netns", bridge);
        sh("ip", "-n", bridge, "link", "set", "p" + node, "master", "br0", "up");
        sh("ip", "-n", ns, "link", "set", iface(node), "up");
        sh("ip", "-n", ns, "addr", "add", cidr, "dev", iface(node));
        return ns;
    }

    static String iface(String node) {
        return "v" + node;
    }

    /** {@code argv} prefixed to run in {@code node}'s network namespace. */
    List<String> in(String node, List<String> argv) {
        List<String> out = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + namespaces.get(node)));
        out.addAll(argv);
        return out;
    }

    /** The MAC address of {@code node}'s interface on the bridge. */
    String mac(String node) {
        String link = sh("ip", "-n", namespaces.get(node), "-o", "link", "show", iface(node));
        return link.replaceAll("(?s).*link/ether (\\S+).*", "$1");
    }

    /** {@code node}'s neighbour entry for {@code address} ("" when none). */
    String neighbour(String node, String address) {
        return sh("ip", "-n", namespaces.get(node), "neigh", "show", address).strip();
    }

    /** Runs a command (in the root namespaces), asserting exit 0; its output. */
    String sh(String... argv) {
        CommandRunner.Result r = shell.run(List.of(argv), STEP);
        assertTrue(r.ok(), String.join(" ", argv) + ": " + r.describe());
        return r.output();
    }

    /** Runs a command without asserting anything. */
    CommandRunner.Result tryRun(List<String> argv) {
        return shell.run(argv, STEP);
    }

    /** A child JVM's command line: this JVM's module flags and class path, {@code main} and its args. */
    static List<String> java(Class<?> main, List<String> args) {
        List<String> argv = new ArrayList<>();
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-opens") || arg.startsWith("--add-exports")) {
                argv.add(arg);
            }
        }
        argv.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dorg.slf4j.simpleLogger.showDateTime=true", "-cp", System.getProperty("java.class.path"),
                main.getName()));
        argv.addAll(args);
        return argv;
    }

    /** A long-running process in {@code node}'s namespace: stdout lines queued, stderr to {@code dir/NAME.log}. */
    Child start(String node, String name, List<String> argv) throws IOException {
        Process p = new ProcessBuilder(in(node, argv))
                .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".log").toFile()))
                .start();
        processes.add(p);
        return new Child(name, p);
    }

    /** A started process: its stdout as lines, its stdin as a writer. */
    static final class Child {
        final String name;
        final Process process;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final PrintWriter stdin;

        Child(String name, Process process) {
            this.name = name;
            this.process = process;
            this.stdin = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (IOException ignored) {
                    // killed
                }
            }, "stdout-" + name);
            reader.setDaemon(true);
            reader.start();
        }

        /** The next stdout line, or null after {@code timeout}. */
        String nextLine(Duration timeout) throws InterruptedException {
            return lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        void send(String line) {
            stdin.println(line);
        }

        /** SIGKILL, with every descendant. */
        void kill() throws InterruptedException {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() {
        synchronized (processes) {
            for (Process p : processes) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
            for (Process p : processes) {
                try {
                    p.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        List<String> all = new ArrayList<>(namespaces.values());
        Collections.reverse(all);
        for (String ns : all) {
            shell.run(List.of("ip", "netns", "del", ns), STEP);
        }
    }
}
