package io.mirrorgate.orchestrator.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The small service of the demo's failover chapters: it copies the directory {@code /www} out of
 * an ext4 image with {@code debugfs -R "rdump /www OUTDIR" IMAGE} (debugfs opens the image
 * read-only unless told {@code -w}, so the replica is never written behind the replicator) and
 * serves those files over HTTP: {@code GET /} lists the names, one a line; {@code GET /NAME} is
 * the file. It writes its pid to PIDFILE once it listens, prints one line, and runs until killed.
 *
 * <p>Usage: {@code FileService IMAGE OUTDIR HOST PORT PIDFILE}. A real node would mount the
 * NBD-attached volume and serve it from there; the demo needs no root, so it reads the image.
 */
public final class FileService {
    private FileService() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: FileService IMAGE OUTDIR HOST PORT PIDFILE");
            System.exit(64);
        }
        Path image = Path.of(args[0]);
        Path out = Path.of(args[1]);
        Path pidFile = Path.of(args[4]);
        Path root = extract(image, out);
        List<String> names = names(root);
        HttpServer server = HttpServer.create(new InetSocketAddress(args[2], Integer.parseInt(args[3])), 16);
        server.createContext("/", exchange -> serve(exchange, root, names));
        server.start();
        Files.writeString(pidFile, ProcessHandle.current().pid() + "\n");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop(0);
            try {
                Files.deleteIfExists(pidFile);
            } catch (IOException e) {
                // the stop command removes it too
            }
        }));
        System.out.println("file service: " + names.size() + " files from " + image + ":/www on http://"
                + args[2] + ":" + args[3] + "/ pid=" + ProcessHandle.current().pid());
    }

    /** {@code debugfs -R "rdump /www OUT" IMAGE}, into a fresh OUT; returns OUT/www. */
    private static Path extract(Path image, Path out) throws IOException, InterruptedException {
        if (Files.exists(out)) {
            try (Stream<Path> old = Files.walk(out)) {
                for (Path p : (Iterable<Path>) old.sorted(Comparator.reverseOrder())::iterator) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(out);
        Process debugfs = new ProcessBuilder(DemoCluster.tool("debugfs"), "-R", "rdump /www \"" + out + "\"",
                image.toString()).redirectErrorStream(true).start();
        String text = new String(debugfs.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = debugfs.waitFor();
        Path root = out.resolve("www");
        if (code != 0 || !Files.isDirectory(root)) {
            throw new IOException("debugfs rdump /www from " + image + " failed (exit " + code + "): " + text.strip());
        }
        return root;
    }

    private static List<String> names(Path root) throws IOException {
        try (Stream<Path> files = Files.list(root)) {
            return files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void serve(HttpExchange exchange, Path root, List<String> names) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            byte[] body;
            int status = 200;
            if (!exchange.getRequestMethod().equals("GET")) {
                status = 405;
                body = "only GET\n".getBytes(StandardCharsets.UTF_8);
            } else if (path.equals("/")) {
                body = (String.join("\n", names) + "\n").getBytes(StandardCharsets.UTF_8);
            } else if (names.contains(path.substring(1))) {
                body = Files.readAllBytes(root.resolve(path.substring(1)));
            } else {
                status = 404;
                body = ("no file " + path + "\n").getBytes(StandardCharsets.UTF_8);
            }
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream o = exchange.getResponseBody()) {
                o.write(body);
            }
        }
    }
}
