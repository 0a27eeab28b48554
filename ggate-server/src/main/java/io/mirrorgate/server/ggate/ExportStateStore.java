package io.mirrorgate.server.ggate;

import io.mirrorgate.common.lifecycle.DaemonThreads;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.common.error.Reasons;
import java.io.IOException;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The fencing state of a ggate server's devices: the highest epoch any client presented and the
 * device's generation. The state belongs to the device, not to the name a client used: it is
 * keyed by {@link io.mirrorgate.server.device.BlockDevice#identity()} (a canonical path, or a
 * block device's number), so that an export's path, its NBD name, a symlink or any other
 * spelling all meet the same epoch. Epochs are unsigned 64-bit numbers and compared as such.
 * The state is kept in one small text file per device in the state directory and
 * written atomically (temporary file, fsync, rename). File I/O runs on the store's own thread,
 * one operation at a time, never on an event loop; the highest epoch is also kept in memory so
 * that the per-write fencing check costs a map lookup.
 *
 * <pre>
 * # mirrorgate ggate-server export state
 * export=/data/disk.img          (the device's identity)
 * epoch=5
 * generation=7
 * </pre>
 */
public final class ExportStateStore implements AutoCloseable {
    /** Where the daemon keeps the state files unless configured otherwise. */
    public static final Path DEFAULT_DIRECTORY = Path.of("/var/lib/mirrorgate/ggate-server");

    /** An export's state: the highest epoch seen and its generation. */
    public record ExportState(long highestEpoch, long generation) {}

    private final Path directory;
    private final ExecutorService io;
    private final Map<String, ExportState> states = new ConcurrentHashMap<>();

    public ExportStateStore(Path directory) {
        this.directory = directory;
        this.io = Executors.newSingleThreadExecutor(DaemonThreads.named("ggate-state"));
    }

    public Path directory() {
        return directory;
    }

    /**
     * Admits a client of the device {@code export} (its identity) presenting {@code epoch}: fails
     * with ESTALE when the epoch is older (unsigned) than the highest seen; raises and persists
     * the highest epoch when newer.
     */
    public CompletableFuture<ExportState> admit(String export, long epoch) {
        return admit(export, null, epoch);
    }

    /**
     * As {@link #admit(String, long)}; when the device has no state yet, the state an earlier
     * version kept under the name the client used ({@code legacyName}, may be null) is its
     * starting point, so that an upgrade does not forget an epoch that fenced someone.
     */
    public CompletableFuture<ExportState> admit(String export, String legacyName, long epoch) {
        return CompletableFuture.supplyAsync(() -> {
            if (legacyName != null && !legacyName.equals(export) && !states.containsKey(export)
                    && !Files.exists(fileOf(export)) && Files.exists(fileOf(legacyName))) {
                ExportState legacy = read(legacyName);
                persist(export, legacy);
                states.put(export, legacy);
            }
            ExportState state = current(export);
            checkEpoch(state, epoch);
            if (Long.compareUnsigned(epoch, state.highestEpoch()) > 0) {
                state = new ExportState(epoch, state.generation());
                states.put(export, state);
                persist(export, state);
            }
            return state;
        }, io);
    }

    /** Sets and persists the generation of {@code export}, for a client presenting {@code epoch}. */
    public CompletableFuture<ExportState> setGeneration(String export, long epoch, long generation) {
        return CompletableFuture.supplyAsync(() -> {
            ExportState state = current(export);
            checkEpoch(state, epoch);
            state = new ExportState(state.highestEpoch(), generation);
            persist(export, state);
            states.put(export, state);
            return state;
        }, io);
    }

    /** The highest epoch seen for {@code export} since it was loaded (0 when never admitted). */
    public long highestEpoch(String export) {
        ExportState state = states.get(export);
        return state == null ? 0 : state.highestEpoch();
    }

    /** The state of {@code export} as on disk (blocking; for tools and tests). */
    public ExportState load(String export) {
        return read(export);
    }

    /**
     * The reason a client presenting {@code epoch} is fenced, or null when it is current. Both
     * are unsigned 64-bit numbers (2^63 is newer than 110); the ggate server's own state and a
     * replicator's replica endpoint both decide with this method.
     */
    public static String fencedReason(long epoch, long highest) {
        return Long.compareUnsigned(epoch, highest) < 0
                ? "epoch " + Long.toUnsignedString(epoch) + " is older than "
                        + Long.toUnsignedString(highest) + ", this client has been fenced"
                : null;
    }

    private static void checkEpoch(ExportState state, long epoch) {
        String fenced = fencedReason(epoch, state.highestEpoch());
        if (fenced != null) {
            throw new MirrorgateException(ErrorCode.ESTALE, fenced);
        }
    }

    private ExportState current(String export) {
        return states.computeIfAbsent(export, this::read);
    }

    /** The file holding the state of {@code export}: a readable prefix and a hash. */
    public Path fileOf(String export) {
        String readable = export.replaceAll("[^A-Za-z0-9._-]", "_");
        if (readable.length() > 60) {
            readable = readable.substring(readable.length() - 60);
        }
        return directory.resolve(readable + "-" + hash(export).substring(0, 16) + ".state");
    }

    private ExportState read(String export) {
        Path file = fileOf(export);
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (NoSuchFileException absent) {
            return new ExportState(0, 0);
        } catch (IOException e) {
            throw new MirrorgateException(ErrorCode.EIO,
                    "cannot read export state " + file + ": " + Reasons.fileReason(e), e);
        }
        try {
            return new ExportState(Long.parseUnsignedLong(p.getProperty("epoch", "0").trim()),
                    Long.parseUnsignedLong(p.getProperty("generation", "0").trim()));
        } catch (NumberFormatException e) {
            throw new MirrorgateException(ErrorCode.EIO, "export state " + file
                    + " is damaged: " + e.getMessage() + " (expected: epoch=N and generation=N)", e);
        }
    }

    private void persist(String export, ExportState state) {
        Path file = fileOf(export);
        String text = "# mirrorgate ggate-server export state\nexport="
                + export.replace("\\", "\\\\").replace("\n", "\\n") + "\nepoch="
                + Long.toUnsignedString(state.highestEpoch()) + "\ngeneration="
                + Long.toUnsignedString(state.generation()) + "\n";
        try {
            Files.createDirectories(directory);
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) {
                    ch.write(bytes);
                }
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
                dir.force(true);
            }
        } catch (IOException e) {
            throw new MirrorgateException(ErrorCode.EIO,
                    "cannot write export state " + file + ": " + Reasons.fileReason(e), e);
        }
    }

    private static String hash(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stops the state thread after the operations already queued. Idempotent. */
    @Override
    public void close() {
        DaemonThreads.stop(io, Duration.ofSeconds(10));
    }
}
