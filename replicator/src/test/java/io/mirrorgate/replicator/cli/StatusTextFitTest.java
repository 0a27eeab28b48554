package io.mirrorgate.replicator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code status --watch} fits the terminal's width: no line wraps, none loses a word. */
class StatusTextFitTest {
    private static final String STATUS = "{\"resource\":\"r0\",\"role\":\"primary\",\"state\":\"sync-source\","
            + "\"mode\":\"fullsync\",\"nbd\":\"127.0.0.1:10810\",\"peer\":{\"address\":\"backup.example.org:3080\","
            + "\"path\":\"/var/lib/mirrorgate/r0.img\",\"connected\":true,\"generation\":7},"
            + "\"owedBytes\":440401920,\"owedRegions\":105,\"regionSize\":4194304,"
            + "\"resync\":{\"state\":\"running\",\"bytesDone\":440401920,\"bytesTotal\":1073741824,"
            + "\"percent\":41.0,\"bytesPerSecond\":99930112,\"etaSeconds\":6},"
            + "\"generations\":{\"local\":7,\"syncedLocal\":7,\"syncedPeer\":7},"
            + "\"counters\":{\"reads\":123456789,\"writes\":987654321,\"bytesRead\":1099511627776,"
            + "\"bytesWritten\":2199023255552,\"peerWriteFailures\":12345,\"degradedWrites\":678901,"
            + "\"readRepairs\":42,\"metadataSyncs\":1234567}}";

    @Test
    void everyLineFitsAndNoWordIsLost() throws Exception {
        JsonNode r = new ObjectMapper().readTree(STATUS);
        List<String> lines = StatusText.lines(r);
        assertTrue(lines.stream().anyMatch(l -> l.length() > 120), "the counters line is the long one: " + lines);
        for (int width : new int[] {120, 100, 80, 60}) {
            List<String> fitted = StatusText.fit(lines, width);
            fitted.forEach(l -> assertTrue(l.length() <= width, width + " columns: " + l));
            assertEquals(String.join(" ", lines).split("\\s+").length,
                    String.join(" ", fitted).split("\\s+").length, "words kept at " + width + ": " + fitted);
            assertTrue(fitted.stream().anyMatch(l -> l.startsWith("      ") && l.contains("=")),
                    "continuations are indented under their line: " + fitted);
        }
        assertEquals(lines, StatusText.fit(lines, 1000));
    }
}
