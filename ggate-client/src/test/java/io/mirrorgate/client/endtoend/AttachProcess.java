package io.mirrorgate.client.endtoend;

import io.mirrorgate.client.cli.GgateClientMain;
import io.mirrorgate.server.nbdclient.NbdClient;
import io.mirrorgate.server.testing.JavaProcess;
import io.mirrorgate.server.testing.ProcessGroup;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code ggate-client attach} process: started with a run directory of its own, it prints its
 * NBD URI as the first line, which this reads; {@link #connect()} opens an NBD client on it.
 */
final class AttachProcess {
    static final Pattern URI = Pattern.compile("nbd://127\\.0\\.0\\.1:(\\d+)/(ggate\\d+)");
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final JavaProcess process;
    private final String uri;
    private final int port;
    private final String id;

    private AttachProcess(JavaProcess process, String uri, int port, String id) {
        this.process = process;
        this.uri = uri;
        this.port = port;
        this.id = id;
    }

    /** The arguments of {@code attach}: options, then {@code server} and {@code path}. */
    static List<String> arguments(Path runDir, Path key, String server, String path,
            String... options) {
        List<String> args = new ArrayList<>(List.of("attach", "--run-dir", runDir.toString(),
                "-k", key.toString()));
        args.addAll(List.of(options));
        args.add(server);
        args.add(path);
        return args;
    }

    /** Starts {@code attach} and waits for its URI line. */
    static AttachProcess start(ProcessGroup group, Path dir, String name, Path runDir, Path key,
            String server, String path, String... options) throws IOException, InterruptedException {
        JavaProcess p = group.start(name, dir, GgateClientMain.class,
                arguments(runDir, key, server, path, options));
        String line = p.readLine(READY_TIMEOUT);
        Matcher m = URI.matcher(line);
        if (!m.matches()) {
            throw new AssertionError("unexpected first line of attach: " + line + "\n" + p.story());
        }
        return new AttachProcess(p, line, Integer.parseInt(m.group(1)), m.group(2));
    }

    JavaProcess process() {
        return process;
    }

    /** The NBD URI it printed, e.g. {@code nbd://127.0.0.1:40123/ggate0}. */
    String uri() {
        return uri;
    }

    int port() {
        return port;
    }

    /** The attachment id, e.g. {@code ggate0}. */
    String id() {
        return id;
    }

    /** An NBD client on the attachment's endpoint. */
    NbdClient connect() throws IOException {
        return NbdClient.connect("127.0.0.1", port, id);
    }
}
