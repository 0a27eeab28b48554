package io.mirrorgate.orchestrator.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * proofs this test checks: both SHA-256 comparisons identical, the initial sync watched from
 * early on, the resync progress redrawn at least three times at the demo's rate, and where the
 * files were left.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DemoTest {
    private static final Pattern PERCENT = Pattern.compile("\\] (\\d+\\.\\d)% ");
    private static final Pattern RATE = Pattern.compile(" (\\d+\\.\\d) MiB/s ETA ");

    @RegisterExtension
    final ProcessGroup processes = new ProcessGroup();

    @TempDir
    Path dir;

    @Test
    void theDemoTellsTheWholeStoryAndProvesIt() throws Exception {
        Path work = dir.resolve("work");
        Path home = Path.of(System.getProperty("user.dir")).getParent();
        long started = System.nanoTime();
        JavaProcess demo = processes.start("demo", dir, Demo.class,
                List.of("--launch=classpath", home.toString(), work.toString()));
        assertEquals(0, demo.waitFor(Duration.ofSeconds(110)), demo::story);
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        List<String> out = demo.stdout();
        String text = String.join("\n", out);
        System.out.println("The demo's story, as an operator sees it:\n" + text);

        for (String expected : List.of("== Work directory " + work, "== 1. Export and attach",
                "ggate0 detached", "== 2. The mirror", "== 3. Peer failure", "== 4. The standby comes back",
                "== Done. Both replicas are identical")) {
            assertTrue(text.contains(expected), () -> expected + " missing in:\n" + text);
        }
        assertTrue(text.contains("wrote 32 random 1 MiB blocks at random offsets through nbd://"), text);
        assertEquals(2, count(out, "IDENTICAL"), text);
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
            assertTrue(rate <= 48 * 1.1, "the resync rate shown exceeds " + Demo.RESYNC_RATE + " by more than 10%: "
                    + line);
        }

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
