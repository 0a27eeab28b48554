package io.mirrorgate.orchestrator.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mirrorgate.client.cli.GgateClientMain;
import io.mirrorgate.replicator.cli.ReplicatorMain;
import io.mirrorgate.replicator.config.ReplicatorConfig;
import io.mirrorgate.server.cli.GgateServerMain;
import io.mirrorgate.server.export.ExportsFile;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.ExternalTools;
import io.mirrorgate.server.testing.JavaProcess;
import io.mirrorgate.server.testing.ProcessGroup;
import io.mirrorgate.server.testing.Processes;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every command of README.md, as written. The fenced blocks are read from the README; each
 * command line in them must be one this test knows ({@link #KNOWN}, so a command added to the
 * README without a check here fails), and each is checked in one of these ways:
 *
 * <ul>
 *   <li>{@code RUN}: run against real daemons in a temporary directory. The only changes to the
 *       text are where the machine differs: host names become 127.0.0.1, the documented ports
 *       the ports the test's servers got, absolute paths move under the temporary directory,
 *       and the defaults under /etc and /run are given as options (-k, -e, --run-dir);</li>
 *   <li>{@code SYNOPSIS}: a usage line, filled in with sample values (optional parts included,
 *       the first of alternatives) and parsed by the program's real command line: every option
 *       exists and is accepted where the README puts it; most are also run under RUN;</li>
 *   <li>{@code OUTPUT}: a line a program prints; the test's run shows the same form;</li>
 *   <li>{@code ELSEWHERE}: run by another test ({@code DemoTest}) or is the suite itself;</li>
 *   <li>{@code NOT_RUN}: needs root, a kernel module or a virtual machine (the reason is kept
 *       here).</li>
 * </ul>
 *
 * The README's exports-file and TOML examples are parsed by the real parsers as well.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@EndToEnd
class ReadmeCommandsTest {
    enum How { RUN, SYNOPSIS, OUTPUT, ELSEWHERE, NOT_RUN }

    /** Every command line of the README's fenced blocks (continuations joined, comments cut). */
    static final Map<String, How> KNOWN = new LinkedHashMap<>();

    static {
        KNOWN.put("bin/mirrorgate-demo", How.ELSEWHERE); // DemoTest
        KNOWN.put("mvn -B test", How.ELSEWHERE); // the suite this test is part of
        KNOWN.put("ggate-server [-e FILE] [-l HOST:PORT] [--nbd-listen HOST:PORT|off] [-k KEYFILE]"
                + " [--state-dir DIR] [--direct-io] [--io-threads N] [--max-request SIZE] [--verbose]", How.SYNOPSIS);
        KNOWN.put("ggate-server keygen FILE", How.SYNOPSIS);
        KNOWN.put("ggate-server check [-e FILE] [-k KEYFILE]", How.SYNOPSIS);
        KNOWN.put("ggate-server listening ggate=0.0.0.0:3080 nbd=127.0.0.1:10809 exports=2", How.OUTPUT);
        KNOWN.put("nbdinfo nbd://127.0.0.1:10809/disk", How.RUN);
        KNOWN.put("qemu-img convert -p -O raw nbd://127.0.0.1:10809/disk copy.img", How.RUN);
        KNOWN.put("nbdcopy nbd://127.0.0.1:10809/disk local.img", How.RUN);
        KNOWN.put("nbd-client -N disk 127.0.0.1 10809 /dev/nbd0", How.NOT_RUN); // root, kernel nbd module
        KNOWN.put("ggate-client attach [-k KEYFILE] [-o ro|wo|rw] [--queue N] [--timeout S]"
                + " [--nbd-listen HOST:PORT] [--node-id ID] [--epoch N] [--[no-]compress] HOST[:PORT] PATH",
                How.SYNOPSIS);
        KNOWN.put("ggate-client list [--json]", How.SYNOPSIS);
        KNOWN.put("ggate-client detach ID", How.SYNOPSIS);
        KNOWN.put("ggate-client rescue ID", How.SYNOPSIS);
        KNOWN.put("ggate-client attach backup:3080 /srv/images/disk.img &", How.RUN);
        KNOWN.put("qemu-system-x86_64 -drive file=nbd://127.0.0.1:40123/ggate0,format=raw ...", How.NOT_RUN); // a VM
        KNOWN.put("nbdfuse /mnt/disk nbd://127.0.0.1:40123/ggate0 &", How.NOT_RUN); // a FUSE mount; NbdFuseDisk tests it
        KNOWN.put("losetup -f --show /mnt/disk/nbd && mount /dev/loop0 /data", How.NOT_RUN); // root
        KNOWN.put("replicator [-c CONFIG] create RESOURCE [--size SIZE] [--force]", How.SYNOPSIS);
        KNOWN.put("replicator [-c CONFIG] run [RESOURCE...]", How.SYNOPSIS);
        KNOWN.put("replicator [-c CONFIG] status [RESOURCE] [--json] [--watch] [--interval S]", How.SYNOPSIS);
        KNOWN.put("replicator [-c CONFIG] role RESOURCE primary|secondary [--force] [--accept-inconsistent]",
                How.SYNOPSIS);
        KNOWN.put("replicator [-c CONFIG] fence RESOURCE", How.SYNOPSIS);
        KNOWN.put("replicator [-c CONFIG] resolve RESOURCE (--discard-local | --discard-remote)", How.SYNOPSIS);
        KNOWN.put("replicator [-c CONFIG] dump-metadata RESOURCE [--json]", How.SYNOPSIS);
    }

    private static final List<String> PROGRAMS = List.of("bin/", "mvn", "ggate-server", "ggate-client",
            "replicator", "fsck-orchestrator", "nbdinfo", "qemu-img", "nbdcopy", "nbd-client",
            "qemu-system-x86_64", "nbdfuse", "losetup");
    private static final Pattern FENCE = Pattern.compile("```(\\w*)\\n(.*?)```", Pattern.DOTALL);
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration READY = Duration.ofSeconds(60);

    @RegisterExtension
    final ProcessGroup processes = new ProcessGroup();

    @TempDir
    Path dir;

    static String readme() throws IOException {
        return Files.readString(DocsTest.REPO.resolve("README.md"));
    }

    /** The fenced blocks of {@code markdown} with their language: [language, text]. */
    static List<String[]> blocks(String markdown) {
        List<String[]> blocks = new ArrayList<>();
        Matcher m = FENCE.matcher(markdown);
        while (m.find()) {
            blocks.add(new String[] {m.group(1), m.group(2)});
        }
        return blocks;
    }

    /** The command lines of the README's shell blocks, continuations joined, comments and prompts cut. */
    static List<String> commands(String markdown) {
        List<String> commands = new ArrayList<>();
        for (String[] block : blocks(markdown)) {
            if (!block[0].isEmpty()) {
                continue;
            }
            List<String> lines = new ArrayList<>();
            for (String line : block[1].split("\n")) {
                String text = line.replaceFirst("\\s+#\\s.*$", "");
                if (!lines.isEmpty() && line.startsWith(" ") && !text.isBlank()) {
                    lines.set(lines.size() - 1, lines.get(lines.size() - 1) + " " + text.strip());
                } else {
                    lines.add(text.replaceFirst("^\\$ ", "").strip());
                }
            }
            for (String line : lines) {
                String normalized = line.replaceAll("\\s+", " ");
                if (PROGRAMS.stream().anyMatch(p -> normalized.startsWith(p.endsWith("/") ? p : p + " ")
                        || normalized.equals(p))) {
                    commands.add(normalized);
                }
            }
        }
        return commands;
    }

    @Test
    void everyReadmeCommandIsOneThisTestChecks() throws IOException {
        assertEquals(new ArrayList<>(KNOWN.keySet()), commands(readme()),
                "the README's commands and this test's list differ: add the new command to KNOWN with how it"
                        + " is checked (and check it)");
    }

    @Test
    void everySynopsisParsesWithTheRealCommandLines() throws IOException {
        for (Map.Entry<String, How> e : KNOWN.entrySet()) {
            if (e.getValue() != How.SYNOPSIS) {
                continue;
            }
            List<String> words = instantiate(e.getKey());
            String program = words.get(0);
            String[] args = words.subList(1, words.size()).toArray(new String[0]);
            CommandLine cmd = switch (program) {
                case "ggate-server" -> GgateServerMain.newCommandLine(sink(), sink());
                case "ggate-client" -> GgateClientMain.newCommandLine(sink(), sink());
                case "replicator" -> ReplicatorMain.newCommandLine(sink(), sink());
                default -> throw new AssertionError("no command line for " + program);
            };
            try {
                CommandLine.ParseResult parsed = cmd.parseArgs(args);
                CommandLine.ParseResult last = parsed;
                while (last.hasSubcommand()) {
                    last = last.subcommand();
                }
                assertTrue(last.unmatched().isEmpty(), e.getKey() + ": unmatched " + last.unmatched());
            } catch (CommandLine.ParameterException ex) {
                throw new AssertionError("README: " + e.getKey() + "\n  as " + words + "\n  " + ex.getMessage(), ex);
            }
        }
    }

    /** A usage line with its optional parts taken, first alternatives chosen and sample values. */
    static List<String> instantiate(String synopsis) {
        String text = synopsis.replaceAll("\\(([^|)]+)\\|[^)]*\\)", "$1").replace("[", "").replace("]", "");
        Map<String, String> samples = Map.ofEntries(Map.entry("FILE", "/tmp/f"), Map.entry("HOST:PORT", "127.0.0.1:3080"),
                Map.entry("KEYFILE", "/tmp/key"), Map.entry("DIR", "/tmp/d"), Map.entry("N", "4"),
                Map.entry("SIZE", "32M"), Map.entry("S", "1"), Map.entry("ID", "ggate0"), Map.entry("PATH", "/x.img"),
                Map.entry("CONFIG", "/tmp/r.toml"), Map.entry("RESOURCE", "r0"));
        List<String> words = new ArrayList<>();
        for (String word : text.trim().split("\\s+")) {
            String w = word.endsWith("...") ? word.substring(0, word.length() - 3) : word;
            w = w.contains("|") ? w.substring(0, w.indexOf('|')) : w;
            words.add(samples.getOrDefault(w, w));
        }
        return words;
    }

    private static PrintWriter sink() {
        return new PrintWriter(new StringWriter());
    }

    @Test
    void theExportsAndConfigurationExamplesParse() throws IOException {
        List<String[]> blocks = blocks(readme());
        String exports = blocks.stream().filter(b -> b[1].startsWith("# host-or-network")).findFirst()
                .orElseThrow(() -> new AssertionError("no exports example in the README"))[1];
        ExportsFile file = ExportsFile.parse("README.md", List.of(exports.split("\n")),
                host -> new InetAddress[] {InetAddress.getByName("192.0.2.7")});
        assertEquals(5, file.rules().size());
        String toml = blocks.stream().filter(b -> b[0].equals("toml")).findFirst()
                .orElseThrow(() -> new AssertionError("no configuration example in the README"))[1];
        ReplicatorConfig config = ReplicatorConfig.parse(toml, "README.md");
        assertEquals("alpha", config.node());
    }

    record Cli(int code, String out, String err) {
        Cli ok() {
            assertEquals(0, code, () -> "exit " + code + "\n" + out + err);
            return this;
        }
    }

    private static Cli cli(BiFunction<PrintWriter, PrintWriter, CommandLine> program, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code;
        try (PrintWriter o = new PrintWriter(out); PrintWriter e = new PrintWriter(err)) {
            code = program.apply(o, e).execute(args);
        }
        return new Cli(code, out.toString(), err.toString());
    }

    /** An absolute path of the README, moved under the temporary directory. */
    private Path moved(String readmePath) throws IOException {
        Path p = dir.resolve(readmePath.substring(1));
        Files.createDirectories(p.getParent());
        return p;
    }

    @Test
    void theReadmesCommandsRunAsWrittenAgainstRealDaemons() throws Exception {
        // ggate-server keygen FILE, ggate-server check [-e FILE] [-k KEYFILE]
        Path key = moved("/etc/mirrorgate/key");
        assertTrue(cli(GgateServerMain::newCommandLine, "keygen", key.toString()).ok().out().contains(key.toString()));
        Path disk = moved("/srv/images/disk.img");
        Path standby = moved("/srv/standby/r0.img");
        for (Path image : List.of(disk, standby)) {
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(image.toFile(), "rw")) {
                f.setLength(64L << 20);
            }
        }
        Path exports = Files.write(moved("/etc/mirrorgate/exports"), List.of(
                "127.0.0.1  RW  " + disk + "  disk", "127.0.0.1  RW  " + standby));
        assertTrue(cli(GgateServerMain::newCommandLine, "check", "-e", exports.toString(), "-k", key.toString())
                .ok().out().endsWith(exports + ": 2 exports, ok\n"));

        // ggate-server [-e FILE] [-l HOST:PORT] [--nbd-listen HOST:PORT|off] [-k KEYFILE] [--state-dir DIR]
        JavaProcess server = processes.start("ggate-server", dir, GgateServerMain.class, List.of("-e",
                exports.toString(), "-l", "127.0.0.1:0", "--nbd-listen", "127.0.0.1:0", "-k", key.toString(),
                "--state-dir", dir.resolve("state").toString()));
        String ready = server.readLine(READY);
        Matcher m = Pattern.compile("ggate-server listening ggate=127\\.0\\.0\\.1:(\\d+) nbd=127\\.0\\.0\\.1:(\\d+)"
                + " exports=2").matcher(ready);
        assertTrue(m.matches(), "the README's form of the ready line: " + ready);
        String ggate = "127.0.0.1:" + m.group(1);
        String nbd = "127.0.0.1:" + m.group(2);

        // nbdinfo, qemu-img convert, nbdcopy: exactly as written, on the server's NBD port
        String nbdinfo = ExternalTools.require("nbdinfo");
        assertTrue(Processes.run(TOOL_TIMEOUT, nbdinfo, "nbd://" + nbd + "/disk").assertSuccess().out()
                .contains("export-size: " + (64L << 20)));
        Path copy = dir.resolve("copy.img");
        Processes.run(TOOL_TIMEOUT, ExternalTools.require("qemu-img"), "convert", "-p", "-O", "raw",
                "nbd://" + nbd + "/disk", copy.toString()).assertSuccess();
        assertEquals(64L << 20, Files.size(copy));
        Path local = dir.resolve("local.img");
        Processes.run(TOOL_TIMEOUT, ExternalTools.require("nbdcopy"), "nbd://" + nbd + "/disk", local.toString())
                .assertSuccess();
        assertEquals(64L << 20, Files.size(local));

        // $ ggate-client attach backup:3080 /srv/images/disk.img &   -> nbd://127.0.0.1:40123/ggate0
        Path run = dir.resolve("run");
        JavaProcess attach = processes.start("ggate-client", dir, GgateClientMain.class, List.of("--run-dir",
                run.toString(), "attach", "-k", key.toString(), ggate, disk.toString()));
        String endpoint = attach.readLine(READY);
        assertTrue(endpoint.matches("nbd://127\\.0\\.0\\.1:\\d+/ggate0"), endpoint);
        assertTrue(Processes.run(TOOL_TIMEOUT, nbdinfo, endpoint).assertSuccess().out().contains("export-size"));
        // ggate-client list [--json], rescue ID, detach ID
        assertTrue(cli(GgateClientMain::newCommandLine, "--run-dir", run.toString(), "list").ok().out()
                .contains("ggate0  connected"));
        JsonNode list = new ObjectMapper().readTree(cli(GgateClientMain::newCommandLine, "--run-dir", run.toString(),
                "list", "--json").ok().out());
        assertEquals(disk.toString(), list.get(0).path("path").asText());
        cli(GgateClientMain::newCommandLine, "--run-dir", run.toString(), "rescue", "ggate0").ok();
        assertEquals("ggate0 detached\n", cli(GgateClientMain::newCommandLine, "--run-dir", run.toString(), "detach",
                "ggate0").ok().out());
        assertEquals(0, attach.waitFor(READY), attach::story);

        // the README's replicator.toml, with this machine's paths and ports
        String toml = blocks(readme()).stream().filter(b -> b[0].equals("toml")).findFirst().orElseThrow()[1];
        Path config = moved("/etc/mirrorgate/replicator.toml");
        // the standby is the plain ggate-server above (the README's other way), its export the path
        for (String[] change : new String[][] {
            {"\"/run/mirrorgate/replicator.sock\"", "\"" + moved("/run/mirrorgate/replicator.sock") + "\""},
            {"\"127.0.0.1:9380\"", "\"127.0.0.1:0\""},
            {"local = \"/var/lib/mirrorgate/r0.img\"", "local = \"" + moved("/var/lib/mirrorgate/r0.img")
                    + "\"\nkey_file = \"" + key + "\""},
            {"\"beta:7790\"", "\"" + ggate + "\""},
            {"remote_path = \"r0\"", "remote_path = \"" + standby + "\""},
            {"\"0.0.0.0:7790\"", "\"127.0.0.1:0\""},
            {"\"127.0.0.1:10810\"", "\"127.0.0.1:0\""}}) {
            assertTrue(toml.contains(change[0]), "the README's configuration has " + change[0] + ":\n" + toml);
            toml = toml.replace(change[0], change[1]);
        }
        Files.writeString(config, toml);
        String c = config.toString();
        // replicator [-c CONFIG] create RESOURCE [--size SIZE]
        assertTrue(cli(ReplicatorMain::newCommandLine, "-c", c, "create", "r0", "--size", "64M").ok().out()
                .startsWith("resource r0 created: "));
        // replicator [-c CONFIG] run [RESOURCE...]
        JavaProcess replicator = processes.start("replicator", dir, ReplicatorMain.class, List.of("-c", c, "run", "r0"));
        assertTrue(replicator.readLine(READY).startsWith("replicator running resource=r0 nbd=127.0.0.1:"));
        // replicator [-c CONFIG] status [RESOURCE] [--watch] [--interval S], [--json]
        assertEquals(0, cli(ReplicatorMain::newCommandLine, "-c", c, "status", "r0", "--watch", "--interval", "0.2")
                .ok().code());
        JsonNode status = new ObjectMapper().readTree(cli(ReplicatorMain::newCommandLine, "-c", c, "status", "--json")
                .ok().out());
        assertEquals("connected", status.get(0).path("state").asText(), status.toString());
        assertTrue(cli(ReplicatorMain::newCommandLine, "-c", c, "status").ok().out()
                .startsWith("r0 role:primary state:connected mode:fullsync"));
        // replicator [-c CONFIG] dump-metadata RESOURCE [--json]
        JsonNode meta = new ObjectMapper().readTree(cli(ReplicatorMain::newCommandLine, "-c", c, "dump-metadata", "r0",
                "--json").ok().out());
        assertEquals(4L << 20, meta.path("regionSize").asLong());
        // replicator [-c CONFIG] resolve RESOURCE --discard-local: refused without a split brain
        Cli resolve = cli(ReplicatorMain::newCommandLine, "-c", c, "resolve", "r0", "--discard-local");
        assertTrue(resolve.code() != 0 && resolve.err().startsWith("replicator: "), resolve.err());
        assertEquals(0, replicator.terminate(), replicator::story);
        assertEquals(0, server.terminate(), server::story);
        assertTrue(Arrays.equals(Files.readAllBytes(moved("/var/lib/mirrorgate/r0.img")), Files.readAllBytes(standby)),
                "the mirror's replicas are identical");
    }
}
