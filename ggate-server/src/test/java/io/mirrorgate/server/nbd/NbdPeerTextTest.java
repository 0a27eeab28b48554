package io.mirrorgate.server.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.server.nbdprotocol.NbdConstants;
import io.mirrorgate.server.testing.CapturedLog;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** NBD: no path in refusals or descriptions (issue 8, defect 5); no forged log line (defect 4). */
@Timeout(60)
class NbdPeerTextTest {
    @TempDir
    Path dir;
    private ExportsServer server;

    @BeforeEach
    void start() throws Exception {
        server = new ExportsServer(dir, 1 << 20, List.of(
                "127.0.0.1  RW /srv/secret/disk.img disk",
                "10.0.0.0/8 RW /srv/secret/far.img  far"));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void refusalsAndTheDescriptionNameNoPath() throws Exception {
        List<String> texts = new ArrayList<>();
        try (RawNbdClient client = new RawNbdClient(server.port())) {
            texts.add(client.go("far", true).text());
            texts.add(client.go("nope", true).text());
            client.sendOption(NbdConstants.OPT_INFO, RawNbdClient.goData("disk", NbdConstants.INFO_DESCRIPTION));
            RawNbdClient.OptionReply r;
            while ((r = client.readOptionReply()).type() == NbdConstants.REP_INFO) {
                if (((r.data()[0] & 0xff) << 8 | (r.data()[1] & 0xff)) == NbdConstants.INFO_DESCRIPTION) {
                    texts.add(new String(r.data(), 2, r.data().length - 2, StandardCharsets.UTF_8));
                }
            }
            assertEquals(NbdConstants.REP_ACK, r.type());
        }
        assertEquals(3, texts.size(), texts.toString());
        assertEquals("Mirrorgate export disk (RW)", texts.get(2));
        for (String t : texts) {
            assertFalse(t.contains("/srv") || t.contains(server.exportsFile.toString()), t);
        }
    }

    @Test
    void anExportNameWithANewlineCannotForgeALogLine() throws Exception {
        try (CapturedLog log = new CapturedLog()) {
            try (RawNbdClient client = new RawNbdClient(server.port())) {
                client.sendOption(NbdConstants.OPT_EXPORT_NAME, ("x\n2026-12-01T00:00:00.000+0000 [INFO]"
                        + " NbdNegotiationHandler - nbd transmission export=disk").getBytes(StandardCharsets.UTF_8));
                assertEquals(-1, client.in.read());
            }
            List<String> lines = log.lines();
            assertTrue(lines.stream().anyMatch(l -> l.contains("nbd connection closed")), lines.toString());
            assertFalse(lines.stream().anyMatch(l -> l.startsWith("2026-12-01T00:00:00.000")), lines.toString());
        }
    }
}
