package io.mirrorgate.client.control;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The directory where running attachments announce themselves: attachment {@code ggateN} holds
 * the lock {@code ggateN.lock} for its whole life and listens on the control socket {@code
 * ggateN.sock}. An id is free when its lock is not held, so a crashed attachment's id is reused.
 */
public final class RunDirectory {
    private static final Pattern SOCKET = Pattern.compile("(ggate\\d+)\\.sock");
    private static final int MAX_UNITS = 1024;

    private final Path dir;

    public RunDirectory(Path dir) {
        this.dir = dir;
    }

    /**
     * The default run directory: {@code $MIRRORGATE_RUN_DIR}, else {@code /run/mirrorgate/ggate-client}
     * when writable (root), else {@code $XDG_RUNTIME_DIR/mirrorgate/ggate-client} or a directory in
     * the temporary directory named after the user.
     */
    public static Path defaultPath() {
        String env = System.getenv("MIRRORGATE_RUN_DIR");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        Path run = Path.of("/run");
        if (Files.isWritable(run)) {
            return run.resolve("mirrorgate/ggate-client");
        }
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "mirrorgate", "ggate-client");
        }
        return Path.of(System.getProperty("java.io.tmpdir"),
                "mirrorgate-" + System.getProperty("user.name"), "ggate-client");
    }

    public Path path() {
        return dir;
    }

    /** The control socket of attachment {@code id}. */
    public Path socket(String id) {
        return dir.resolve(id + ".sock");
    }

    /**
     * Claims the first free id. The returned unit keeps the id until it is closed (or the
     * process dies, which releases the lock).
     */
    public Unit claim() throws IOException {
        Files.createDirectories(dir);
        for (int n = 0; n < MAX_UNITS; n++) {
            String id = "ggate" + n;
            FileChannel channel = FileChannel.open(dir.resolve(id + ".lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
            if (lock != null) {
                Files.deleteIfExists(socket(id));
                return new Unit(id, channel, lock);
            }
            channel.close();
        }
        throw new IOException("no free attachment id in " + dir + " (all of ggate0.."
                + (MAX_UNITS - 1) + " are in use)");
    }

    /** The ids of the attachments that have a control socket here, in id order. */
    public List<String> ids() throws IOException {
        List<String> ids = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return ids;
        }
        try (Stream<Path> files = Files.list(dir)) {
            files.forEach(p -> {
                Matcher m = SOCKET.matcher(p.getFileName().toString());
                if (m.matches()) {
                    ids.add(m.group(1));
                }
            });
        }
        ids.sort((a, b) -> Integer.compare(Integer.parseInt(a.substring(5)),
                Integer.parseInt(b.substring(5))));
        return ids;
    }

    /** An id held by this process. */
    public final class Unit implements AutoCloseable {
        private final String id;
        private final FileChannel channel;
        private final FileLock lock;

        private Unit(String id, FileChannel channel, FileLock lock) {
            this.id = id;
            this.channel = channel;
            this.lock = lock;
        }

        public String id() {
            return id;
        }

        public Path socket() {
            return RunDirectory.this.socket(id);
        }

        /** Removes the socket file and releases the id. */
        @Override
        public void close() throws IOException {
            try {
                Files.deleteIfExists(socket());
            } finally {
                try {
                    lock.release();
                } finally {
                    channel.close();
                }
            }
        }
    }
}
