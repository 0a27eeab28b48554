package io.mirrorgate.orchestrator.takeover;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * The state directory's {@code last-plan.json}: the record of the last (or current) plan run,
 * replaced atomically (written to a temporary file, fsynced, renamed, directory fsynced) after
 * every step, so that a crash leaves either the previous or the next version, never a torn one.
 */
public class StateStore {
    static final String FILE = "last-plan.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;

    public StateStore(Path dir) {
        this.dir = dir;
    }

    /** A store that keeps nothing ({@code --dry-run}). */
    public static StateStore none() {
        return new StateStore(null) {
            @Override
            public void save(PlanRecord record) {}

            @Override
            public Optional<PlanRecord> load() {
                return Optional.empty();
            }

            @Override
            public AutoCloseable lock() {
                return () -> {};
            }
        };
    }

    /**
     * Holds the state directory's {@code plan.lock} until closed, so that the daemon and a {@code
     * promote-standby} or {@code demote} never run plans at the same time (the second one waits).
     */
    public AutoCloseable lock() {
        try {
            Files.createDirectories(dir);
            FileChannel ch = FileChannel.open(dir.resolve("plan.lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            try {
                FileLock lock = ch.lock();
                return () -> {
                    lock.release();
                    ch.close();
                };
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock " + dir.resolve("plan.lock") + ": " + e.getMessage(), e);
        }
    }

    public Path file() {
        return dir.resolve(FILE);
    }

    public void save(PlanRecord record) {
        try {
            Files.createDirectories(dir);
            Path tmp = dir.resolve(FILE + ".tmp");
            byte[] bytes = (JSON.writerWithDefaultPrettyPrinter().writeValueAsString(record.toJson()) + "\n")
                    .getBytes(StandardCharsets.UTF_8);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    ch.write(buffer);
                }
                ch.force(true);
            }
            Files.move(tmp, file(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException notSupported) {
                // some file systems cannot fsync a directory; the rename is still atomic
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the plan state " + file() + ": " + e.getMessage(), e);
        }
    }

    /** The last record, if any; a malformed file is an error that names it. */
    public Optional<PlanRecord> load() {
        try {
            return Optional.of(PlanRecord.fromJson(JSON.readTree(Files.readString(file()))));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("the plan state " + file() + " is unreadable (" + e.getMessage()
                    + "); move it away to start afresh", e);
        }
    }
}
