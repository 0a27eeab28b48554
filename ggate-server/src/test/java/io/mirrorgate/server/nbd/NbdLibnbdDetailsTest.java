package io.mirrorgate.server.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.server.device.LocalBlockDevice;
import io.mirrorgate.server.device.LocalDeviceOptions;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.SingleExportResolver;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.ExternalTools;
import io.mirrorgate.server.testing.Processes;
import io.mirrorgate.server.testing.SparseImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * libnbd (its Python binding, strict mode off) against an export on a tmpfs file: 0-length
 * requests, unaligned requests without block-size negotiation, past-the-end errors, CACHE, DF,
 * NO_HOLE and FAST_ZERO, each answered per the spec with the connection still usable. The checks
 * live in {@code nbd/libnbd_details.py}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@EndToEnd
class NbdLibnbdDetailsTest {
    private static final long MIB = 1 << 20;
    private static final long SIZE = 16 * MIB;

    @TempDir
    Path dir;
    private Path image;
    private LocalBlockDevice device;
    private NbdServer server;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (device != null) {
            device.close();
        }
        if (image != null) {
            Files.deleteIfExists(image);
        }
    }

    @Test
    void libnbdWithStrictModeOffGetsEveryDetailPerTheSpec() throws Exception {
        ExternalTools.require("nbdsh"); // python3-libnbd
        Path tmpfs = ExternalTools.requireWritable(Path.of("/dev/shm"), "a tmpfs, which lacks ZERO_RANGE");
        image = SparseImages.create(Files.createTempFile(tmpfs, "mirrorgate-", ".img"), SIZE, 2,
                (int) (4 * MIB));
        device = LocalBlockDevice.open(image, LocalDeviceOptions.defaults());
        server = NbdServer.start(new SingleExportResolver("disk", device, Access.RW), "127.0.0.1", 0);
        Path script = dir.resolve("libnbd_details.py");
        try (var in = getClass().getResourceAsStream("/nbd/libnbd_details.py")) {
            Files.copy(in, script);
        }
        long allocated = SparseImages.allocatedBytes(image);

        // the interpreter nbdsh runs (Processes puts /usr/bin first), where python3-libnbd lives
        String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3"
                : ExternalTools.require("python3");
        Processes.Result run = Processes.run(Duration.ofSeconds(60), python, script.toString(),
                "nbd://127.0.0.1:" + server.port() + "/disk", Long.toString(SIZE));
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().endsWith("OK\n"), run.out());
        assertEquals(allocated - MIB, SparseImages.allocatedBytes(image),
                "the NO_HOLE range stayed allocated; only the FAST_ZERO MiB was punched");
    }
}
