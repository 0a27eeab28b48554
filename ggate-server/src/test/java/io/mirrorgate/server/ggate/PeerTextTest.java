package io.mirrorgate.server.ggate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.ExportRegistry;
import io.mirrorgate.server.export.ExportsFile;
import io.mirrorgate.server.protocol.Welcome;
import io.mirrorgate.server.testing.CapturedLog;
import io.mirrorgate.server.testing.GgateTestServer;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import io.mirrorgate.server.testing.RawGgateSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Peer text cannot forge log lines, warnings about one peer are rate-limited (issue 8, defect 4),
 * and a client the exports file does not admit learns no path (defect 5).
 */
@Timeout(60)
class PeerTextTest {
    private static final byte[] KEY = "correct horse battery staple".getBytes(StandardCharsets.UTF_8);
    private static final String FORGED = "x\n2026-12-01T00:00:00.000+0000 [INFO] GgateServerHandler"
            + " - ggate client admitted peer=/10.0.0.1:1 export=/data/disk.img access=RW";

    @TempDir
    Path dir;
    private Path exports;
    private ExportRegistry registry;
    private GgateTestServer server;

    @BeforeEach
    void start() throws Exception {
        exports = Files.write(dir.resolve("exports"), List.of(
                "127.0.0.1 RW /srv/secret/disk.img disk0",
                "10.0.0.0/8 RW /srv/secret/far.img far"));
        registry = ExportRegistry.open(ExportsFile.load(exports),
                spec -> new MemoryBlockDevice(spec.path(), 1 << 20, 512, false));
        server = GgateTestServer.start(GgateServerConfig.of(registry, KEY, dir.resolve("state")));
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        registry.close();
    }

    private Welcome handshake(byte[] key, String export) throws Exception {
        try (RawGgateSocket s = new RawGgateSocket(server.port())) {
            return s.handshake(key, export, Access.RW, 0);
        }
    }

    @Test
    void anExportNameWithANewlineCannotForgeALogLine() throws Exception {
        try (CapturedLog log = new CapturedLog()) {
            assertEquals(ErrorCode.EACCES, handshake("wrong key".getBytes(StandardCharsets.UTF_8),
                    FORGED).error());
            List<String> lines = log.lines();
            assertTrue(lines.stream().anyMatch(l -> l.contains("authentication failed")), lines.toString());
            assertFalse(lines.stream().anyMatch(l -> l.startsWith("2026-12-01T00:00:00.000")),
                    "a forged line: " + lines);
        }
    }

    @Test
    void warningsAboutOnePeerAreRateLimited() throws Exception {
        try (CapturedLog log = new CapturedLog()) {
            for (int i = 0; i < 40; i++) {
                handshake("wrong key".getBytes(StandardCharsets.UTF_8), "disk0");
            }
            long warnings = log.lines().stream().filter(l -> l.contains("authentication failed")).count();
            assertTrue(warnings >= 1 && warnings <= 10, warnings + " warnings for 40 failures");
        }
    }

    @Test
    void aClientTheExportsFileDoesNotAdmitLearnsNoPath() throws Exception {
        Welcome far = handshake(KEY, "far");
        assertEquals(ErrorCode.EACCES, far.error());
        assertEquals("host 127.0.0.1 is not allowed to use export far", far.reason());
        Welcome unknown = handshake(KEY, "nope");
        assertEquals(ErrorCode.ENOENT, unknown.error());
        assertEquals("no export nope", unknown.reason());
        for (Welcome w : List.of(far, unknown)) {
            assertFalse(w.reason().contains("/srv") || w.reason().contains(exports.toString()),
                    w.reason());
        }
    }
}
