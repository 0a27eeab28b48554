package io.mirrorgate.server.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.SingleExportResolver;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import io.mirrorgate.server.testing.NbdFuseDisk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real ext4 file system on an NBD export: nbdfuse exposes the export as a file, a loop device
 * makes it a block device, and mkfs, mount, file writes, umount and e2fsck run on it.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@EndToEnd
class NbdFilesystemTest {
    private static final long SIZE = 256L * 1024 * 1024;

    @TempDir
    Path dir;
    private NbdServer server;
    private NbdFuseDisk disk;

    @AfterEach
    void cleanUp() throws Exception {
        try {
            if (disk != null) {
                disk.close();
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    @Test
    void ext4OnAnNbdExportSurvivesMkfsMountWritesUmountAndFsck() throws Exception {
        NbdFuseDisk.requireTools();
        MemoryBlockDevice device = new MemoryBlockDevice("/data/fs.img", SIZE, 512, false);
        server = NbdServer.start(new SingleExportResolver("fs", device, Access.RW), "127.0.0.1", 0);

        disk = NbdFuseDisk.attach(dir, "nbd://127.0.0.1:" + server.port() + "/fs");
        assertEquals(SIZE, Files.size(disk.file()));
        disk.proveExt4(8, 1000);
        assertTrue(device.bytesWritten() > 36L * 1024 * 1024, "the data went through the export");
    }
}
