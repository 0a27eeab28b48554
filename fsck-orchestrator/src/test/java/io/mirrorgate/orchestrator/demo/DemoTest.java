package io.mirrorgate.orchestrator.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.ExternalTools;
import io.mirrorgate.server.testing.JavaProcess;
import io.mirrorgate.server.testing.ProcessGroup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command, end to end: the demo runs as its own process, starts the real
 * programs as processes (from the class path instead of the jars), and tells a story whose
 * proofs this test checks: the three SHA-256 comparisons identical, the initial sync watched from
 * early on, the resync progress redrawn at least three times at the demo's rate; in the failover
 * chapter, the standby's takeover by itself (every plan step ok, the time from the kill to the
 * first read printed), every file served intact and every raw block equal; in the rejoin, the old
 * primary secondary and resynced with less than the whole volume; and where the files were left.
 * The failover chapter needs e2fsprogs (skipped locally without it, a failure under CI).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@EndToEnd
class DemoTest {
    private static final Pattern PERCENT = Pattern.compile("\\] (\\d+\\.\\d)% ");
    private static final Pattern RATE = Pattern.compile(" (\\d+\\.\\d) MiB/s ETA ");
    private static final Pattern TAKEOVER = Pattern.compile("beta took over by itself: the first successful read of"
            + " http://\\S+ came (\\d+) ms after the kill");
    private static final Pattern REJOIN = Pattern.compile("the rejoin copied (\\d+\\.\\d) MiB of the 128 MiB volume");

    @RegisterExtension
    final ProcessGroup processes = new ProcessGroup();

    @TempDir
    Path dir;

    @Test
    void theDemoTellsTheWholeStoryAndProvesIt() throws Exception {
        for (String tool : List.of("mkfs.ext4", "e2fsck", "debugfs")) {
            ExternalTools.require(tool);
        }
        Path work = dir.resolve("work");
        Path home = Path.of(System.getProperty("user.dir")).getParent();
        long started = System.nanoTime();
        JavaProcess demo = processes.start("demo", dir, Demo.class,
                List.of("--launch=classpath", home.toString(), work.toString()));
        assertEquals(0, demo.waitFor(Duration.ofSeconds(220)), demo::story);
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        List<String> out = demo.stdout();
        String text = String.join("\n", out);
        System.out.println("The demo's story, as an operator sees it:\n" + text);

        for (String expected : List.of("== Work directory " + work, "== 1. Export and attach",
                "ggate0 detached", "== 2. The mirror", "== 3. Peer failure", "== 4. The standby comes back",
                "== 5. Failover", "== 6. Rejoin", "== Done. Both replicas are identical")) {
            assertTrue(text.contains(expected), () -> expected + " missing in:\n" + text);
        }
        assertTrue(text.contains("wrote 32 random 1 MiB blocks at random offsets through nbd://"), text);
        assertEquals(3, count(out, "IDENTICAL"), text);
        assertEquals(0, count(out, "DIFFERENT"), text);

        List<String> initial = section(out, "initial full sync", "wrote 48 random");
        double first = percent(initial.stream().filter(l -> PERCENT.matcher(l).find()).findFirst()
                .orElseThrow(() -> new AssertionError("no progress in the initial sync watch:\n" + text)));
        assertTrue(first < 40, "the initial sync is watched from early on, not from " + first + "%:\n" + text);

        List<String> resync = section(out, "resync, at resync_rate", "SHA-256 after resync");
        List<String> running = resync.stream().filter(l -> RATE.matcher(l).find()).toList();
        assertTrue(running.size() >= 3, "the resync progress is shown at least three times while it runs:\n"
                + String.join("\n", resync));
        assertTrue(resync.get(resync.size() - 1).contains("100.0%"), String.join("\n", resync));
        for (String line : running.subList(1, running.size())) {
            Matcher m = RATE.matcher(line);
            assertTrue(m.find());
            double rate = Double.parseDouble(m.group(1));
            assertTrue(rate <= Demo.RESYNC_MIB_PER_SECOND * 1.1, "the resync rate shown exceeds " + Demo.RESYNC_RATE + " by more than 10%: "
                    + line);
        }

        List<String> failover = section(out, "== 5. Failover", "== 6. Rejoin");
        String story = String.join("\n", failover);
        Matcher takeover = TAKEOVER.matcher(story);
        assertTrue(takeover.find(), "the standby takes over by itself and serves the files:\n" + story);
        System.out.println("failover: first read " + takeover.group(1) + " ms after the kill");
        assertEquals(4, count(failover, "  intact"), story);
        assertTrue(story.contains("read back through beta's nbd://") && story.contains(": all equal"), story);
        for (String step : List.of("last plan: takeover ok", "fence           ok", "promote         ok",
                "fsck            ok", "addresses       ok", "services        ok   ")) {
            assertTrue(story.contains(step), () -> step + " missing in:\n" + story);
        }

        List<String> rejoin = section(out, "== 6. Rejoin", "SHA-256 after the rejoin");
        String told = String.join("\n", rejoin);
        assertTrue(told.contains("alpha: role secondary, connected") && told.contains("beta: role primary, connected"),
                told);
        List<String> bars = rejoin.stream().filter(l -> PERCENT.matcher(l).find()).toList();
        assertTrue(!bars.isEmpty() && bars.get(bars.size() - 1).contains("100.0%"), told);
        Matcher copied = REJOIN.matcher(told);
        assertTrue(copied.find(), told);
        double mib = Double.parseDouble(copied.group(1));
        assertTrue(mib >= FailoverChapters.BETA_BLOCKS && mib < 128 / 2,
                "the rejoin copies what beta wrote and what alpha had marked, not the whole volume: " + mib + " MiB");

        String last = out.get(out.size() - 1);
        assertTrue(last.contains("The files stay in " + work) && last.contains(" on disk. Remove them with: rm -rf "
                + work), last);
        assertTrue(Files.exists(work.resolve("demo.log")));
        assertTrue(seconds < 100, "the demo took " + seconds + " s");
    }

    private static long count(List<String> lines, String needle) {
        return lines.stream().filter(l -> l.contains(needle)).count();
    }

    /** The lines after the first line containing {@code from}, up to the next containing {@code to}. */
    private static List<String> section(List<String> lines, String from, String to) {
        int start = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (start < 0 && lines.get(i).contains(from)) {
                start = i + 1;
            } else if (start >= 0 && lines.get(i).contains(to)) {
                return lines.subList(start, i);
            }
        }
        throw new AssertionError("no section from '" + from + "' to '" + to + "' in:\n" + String.join("\n", lines));
    }

    private static double percent(String line) {
        Matcher m = PERCENT.matcher(line);
        assertTrue(m.find(), line);
        return Double.parseDouble(m.group(1));
    }
}
