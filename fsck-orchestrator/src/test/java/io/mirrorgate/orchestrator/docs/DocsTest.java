package io.mirrorgate.orchestrator.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.orchestrator.cli.OrchestratorMain;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The documents of a clone stand on their own: no link leaves the repository (a clone has no
 * {@code ../shared}), every relative link and anchor resolves, nothing promises a roadmap that
 * does not exist, and the README's list of CI tools is what {@code .ci/run} installs.
 */
class DocsTest {
    /** The repository: the parent of this module's directory (surefire runs in the module). */
    static final Path REPO = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent();
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    private static final List<String> OUTSIDE = List.of("../shared", "/work/", "DESIGN.md", "roadmap");

    static List<Path> files(String glob) throws IOException {
        var matcher = REPO.getFileSystem().getPathMatcher("glob:" + glob);
        try (Stream<Path> walk = Files.walk(REPO)) {
            return walk.filter(Files::isRegularFile)
                    .filter(p -> !REPO.relativize(p).toString().contains("target/"))
                    .filter(p -> !REPO.relativize(p).startsWith(".git"))
                    .filter(p -> matcher.matches(REPO.relativize(p)))
                    .sorted().toList();
        }
    }

    @Test
    void noDocumentOrScriptPointsOutsideTheRepository() throws IOException {
        List<Path> checked = new ArrayList<>(files("**.md"));
        checked.addAll(files("*.md"));
        checked.addAll(files("bin/*"));
        checked.add(REPO.resolve(".ci/run"));
        checked.addAll(files("**/src/main/java/**.java"));
        assertTrue(checked.size() > 20, "the walk found the project's files: " + checked);
        List<String> found = new ArrayList<>();
        for (Path file : checked) {
            List<String> lines = Files.readAllLines(file);
            for (int i = 0; i < lines.size(); i++) {
                for (String bad : OUTSIDE) {
                    if (lines.get(i).contains(bad)) {
                        found.add(REPO.relativize(file) + ":" + (i + 1) + ": " + bad + " in: " + lines.get(i).strip());
                    }
                }
            }
        }
        assertEquals(List.of(), found);
    }

    @Test
    void everyRelativeLinkAndAnchorOfTheReadmesResolves() throws IOException {
        List<String> broken = new ArrayList<>();
        List<Path> docs = new ArrayList<>(files("*.md"));
        docs.addAll(files("**.md"));
        for (Path doc : docs) {
            String text = Files.readString(doc);
            Matcher m = LINK.matcher(text);
            while (m.find()) {
                String target = m.group(1);
                if (target.startsWith("http://") || target.startsWith("https://") || target.startsWith("mailto:")) {
                    continue;
                }
                String file = target.contains("#") ? target.substring(0, target.indexOf('#')) : target;
                String anchor = target.contains("#") ? target.substring(target.indexOf('#') + 1) : null;
                Path resolved = file.isEmpty() ? doc : doc.getParent().resolve(file).normalize();
                if (!resolved.startsWith(REPO) || !Files.exists(resolved)) {
                    broken.add(REPO.relativize(doc) + ": " + target + " (no such file in the repository)");
                } else if (anchor != null && !anchors(resolved).contains(anchor)) {
                    broken.add(REPO.relativize(doc) + ": " + target + " (no such heading)");
                }
            }
        }
        assertEquals(List.of(), broken);
    }

    private static List<String> anchors(Path markdown) throws IOException {
        return Files.readAllLines(markdown).stream().filter(l -> l.startsWith("#"))
                .map(l -> l.replaceFirst("^#+\\s*", "").toLowerCase(Locale.ROOT)
                        .replaceAll("[^a-z0-9 _-]", "").replace(' ', '-'))
                .toList();
    }

    @Test
    void theReadmeNamesExactlyThePackagesThatCiInstalls() throws IOException {
        String readme = Files.readString(REPO.resolve("README.md"));
        Matcher said = Pattern.compile("`apt-get install ([^`]+)`").matcher(readme);
        assertTrue(said.find(), "the README says what .ci/run installs");
        String run = Files.readString(REPO.resolve(".ci/run"));
        Matcher done = Pattern.compile("apt-get install -y -qq --no-install-recommends \\\\\\s+([^>]+)>").matcher(run);
        assertTrue(done.find(), run);
        assertEquals(sorted(done.group(1)), sorted(said.group(1)));
    }

    private static List<String> sorted(String words) {
        return Arrays.stream(words.trim().split("\\s+")).sorted().toList();
    }

    @Test
    void fsckOrchestratorHelpPromisesNoRoadmapAndListsWhatItDoes() {
        StringWriter out = new StringWriter();
        int code = OrchestratorMain.newCommandLine(new PrintWriter(out, true), new PrintWriter(new StringWriter()))
                .execute("--help");
        assertEquals(0, code);
        assertTrue(!out.toString().contains("roadmap") && !out.toString().contains("not part of this release")
                && out.toString().contains("promote-standby") && out.toString().contains("demote"), out.toString());
    }
}
