package io.mirrorgate.replicator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.replicator.testing.Fixtures;
import io.mirrorgate.replicator.testing.MirrorPair;
import io.mirrorgate.common.cli.ExitCodes;
import io.mirrorgate.server.testing.TestData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code status --watch} on a terminal, when the replicator goes away, and the text helpers. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class StatusWatchTest {
    @TempDir
    Path dir;

    private MirrorPair pair;

    @AfterEach
    void stop() {
        if (pair != null) {
            pair.close();
        }
    }

    @Test
    void barAndEtaFormats() {
        assertEquals("[>" + " ".repeat(29) + "]", StatusText.bar(0));
        assertEquals("[" + "=".repeat(12) + ">" + " ".repeat(17) + "]", StatusText.bar(42.0));
        assertEquals("[" + "=".repeat(30) + "]", StatusText.bar(100));
        assertEquals("0:06", StatusText.eta(6));
        assertEquals("12:34", StatusText.eta(754));
        assertEquals("1:02:03", StatusText.eta(3723));
        assertEquals("--:--", StatusText.eta(-1));
    }

    @Test
    void onATerminalTheStatusIsRedrawnInPlaceUntilInSync() throws Exception {
        // 8 MiB of data (holes would be skipped, not paced): 2 s of sync at 4 MiB/s
        pair = MirrorPair.builder(dir).resyncRate("4MiB").size(8 << 20).startPrimary(false).start();
        Files.write(pair.primaryImage(), TestData.randomBytes(3, 8 << 20));
        pair.startPrimary();
        StringWriter out = new StringWriter();
        CommandLine cmd = ReplicatorMain.newCommandLine(new PrintWriter(out, true), new PrintWriter(new StringWriter()));
        ((StatusCommand) cmd.getSubcommands().get("status").getCommand()).terminal = true;
        ((StatusCommand) cmd.getSubcommands().get("status").getCommand()).columns = () -> 120;
        int code = cmd.execute("-c", pair.configFile().toString(), "status", "--watch", "--interval", "0.2");
        assertEquals(ExitCodes.OK, code);
        String text = out.toString();
        assertTrue(text.startsWith(StatusCommand.CLEAR), "each sample is drawn on a cleared screen: " + text);
        assertTrue(text.split(java.util.regex.Pattern.quote(StatusCommand.CLEAR)).length > 3, text);
        assertTrue(text.contains("state:sync-source"), text);
        String last = text.substring(text.lastIndexOf(StatusCommand.CLEAR) + StatusCommand.CLEAR.length());
        assertTrue(last.startsWith("r0 role:primary state:connected"), last);
        assertTrue(last.contains("100.0% 8.0 MiB/8.0 MiB done"), last);
        text.replace(StatusCommand.CLEAR, "").lines().forEach(line -> assertTrue(line.length() <= 120,
                "a line wider than the terminal's 120 columns: " + line));
    }

    @Test
    void watchExits69WhenTheReplicatorGoesAway() throws Exception {
        pair = MirrorPair.builder(dir).startPrimary(false).start();
        pair.stopStandby();
        pair.startPrimary();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = ReplicatorMain.newCommandLine(new PrintWriter(out, true), new PrintWriter(err, true));
        CompletableFuture<Integer> watch = CompletableFuture.supplyAsync(() -> cmd.execute(
                "-c", pair.configFile().toString(), "status", "--watch", "--interval", "0.1"));
        String sample = "r0 disconnected owed:16.0 MiB resync: waiting for the peer";
        Fixtures.await("two samples while the peer is away", Duration.ofSeconds(30),
                () -> out.toString().indexOf(sample) != out.toString().lastIndexOf(sample));
        assertTrue(!watch.isDone(), "watching while the peer is away");
        pair.stopPrimary();
        assertEquals(ExitCodes.UNAVAILABLE, watch.get(30, TimeUnit.SECONDS), err.toString());
        assertTrue(err.toString().contains("the replicator went away"), err.toString());
    }
}
