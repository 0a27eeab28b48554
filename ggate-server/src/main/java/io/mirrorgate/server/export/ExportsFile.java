package io.mirrorgate.server.export;

import io.mirrorgate.common.error.ClientRefusal;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.common.error.Reasons;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The exports file, in the form of FreeBSD's {@code gg.exports}: one rule per line,
 *
 * <pre>
 * # host-or-network[/mask]   access   path                 [nbd-export-name]
 * 10.0.0.0/24                RW       /dev/sdb             disk0
 * 192.168.0.0/255.255.255.0  RO       /data/disk.img
 * backup.example.org         RW       /data/disk.img
 * *                          RO       /srv/iso.img         iso
 * </pre>
 *
 * <p>{@code #} starts a comment, blank lines are ignored. A client gets the access of the
 * <em>first</em> line that names the export (by path or NBD name) and admits its address. The
 * whole file is parsed and checked (hostnames resolved) before anything is opened; an error names
 * the file and line and says what was expected. Instances are immutable.
 */
public final class ExportsFile {
    private final String source;
    private final List<ExportRule> rules;

    private ExportsFile(String source, List<ExportRule> rules) {
        this.source = source;
        this.rules = List.copyOf(rules);
    }

    /** Reads and parses {@code file}, resolving hostnames with the system resolver. */
    public static ExportsFile load(Path file) {
        return load(file, InetAddress::getAllByName);
    }

    /** Reads and parses {@code file}, resolving hostnames with {@code resolver}. */
    public static ExportsFile load(Path file, HostPattern.HostResolver resolver) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new MirrorgateException(e instanceof java.nio.file.AccessDeniedException
                    ? ErrorCode.EACCES : ErrorCode.ENOENT,
                    file + ": cannot read exports file: " + Reasons.fileReason(e), e);
        }
        return parse(file.toString(), lines, resolver);
    }

    /**
     * Parses {@code lines} read from {@code source} (named in messages). Throws {@link
     * MirrorgateException} ({@code EINVAL}) with {@code source:line: what (expected: ...)} on the
     * first bad line.
     */
    public static ExportsFile parse(String source, List<String> lines,
            HostPattern.HostResolver resolver) {
        List<ExportRule> rules = new ArrayList<>();
        Map<String, ExportRule> byName = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            int lineNo = i + 1;
            String text = lines.get(i);
            int hash = text.indexOf('#');
            if (hash >= 0) {
                text = text.substring(0, hash);
            }
            text = text.strip();
            if (text.isEmpty()) {
                continue;
            }
            ExportRule rule;
            try {
                rule = parseLine(text.split("\\s+"), lineNo, resolver);
            } catch (IllegalArgumentException e) {
                throw new MirrorgateException(ErrorCode.EINVAL,
                        source + ":" + lineNo + ": " + e.getMessage(), e);
            }
            checkNames(source, rule, byName);
            rules.add(rule);
        }
        return new ExportsFile(source, rules);
    }

    private static ExportRule parseLine(String[] fields, int lineNo,
            HostPattern.HostResolver resolver) {
        if (fields.length < 3 || fields.length > 4) {
            throw new IllegalArgumentException(fields.length + " fields (expected: "
                    + "host-or-network[/mask] RO|WO|RW path [nbd-export-name])");
        }
        HostPattern hosts = HostPattern.parse(fields[0], resolver);
        Access access = Access.parse(fields[1]);
        String path = fields[2];
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("path: " + path + " (expected: an absolute path)");
        }
        String name = fields.length == 4 ? fields[3] : path;
        if (name.getBytes(StandardCharsets.UTF_8).length > 4096) {
            throw new IllegalArgumentException("export name longer than 4096 bytes");
        }
        return new ExportRule(hosts, access, path, name, lineNo);
    }

    /** A name (path or NBD name) must mean one path throughout the file. */
    private static void checkNames(String source, ExportRule rule, Map<String, ExportRule> byName) {
        for (String name : new String[] {rule.path(), rule.name()}) {
            ExportRule earlier = byName.putIfAbsent(name, rule);
            if (earlier != null && !earlier.path().equals(rule.path())) {
                throw new MirrorgateException(ErrorCode.EINVAL, source + ":" + rule.line()
                        + ": export name " + name + " already names " + earlier.path() + " at line "
                        + earlier.line() + " (expected: one path per export name)");
            }
        }
    }

    /** Where the rules came from (the file path), for messages. */
    public String source() {
        return source;
    }

    /** The rules, in file order. */
    public List<ExportRule> rules() {
        return rules;
    }

    /**
     * One spec per distinct path, in order of first appearance; read-only when every line for
     * the path grants RO.
     */
    public List<ExportSpec> exports() {
        Map<String, Boolean> readOnly = new LinkedHashMap<>();
        for (ExportRule rule : rules) {
            readOnly.merge(rule.path(), rule.access() == Access.RO, Boolean::logicalAnd);
        }
        List<ExportSpec> specs = new ArrayList<>();
        readOnly.forEach((path, ro) -> specs.add(new ExportSpec(path, ro)));
        return specs;
    }

    /** The path that {@code exportName} (a path or an NBD name) means, if any line names it. */
    public Optional<String> pathOf(String exportName) {
        return rules.stream().filter(r -> r.names(exportName)).map(ExportRule::path).findFirst();
    }

    /**
     * The first line for {@code exportName} that admits {@code client}. Throws a {@link
     * ClientRefusal}: {@code ENOENT} when no line names the export, {@code EACCES} when none
     * admits the client. What the client is told names neither the path nor this file; the
     * refusal's detail (for the server's log) names both.
     */
    public ExportRule match(String exportName, InetAddress client) {
        String path = pathOf(exportName).orElseThrow(() -> new ClientRefusal(ErrorCode.ENOENT,
                "no export " + exportName, "no export " + exportName + " in " + source));
        for (ExportRule rule : rules) {
            if (rule.path().equals(path) && rule.admits(client)) {
                return rule;
            }
        }
        throw new ClientRefusal(ErrorCode.EACCES, "host " + client.getHostAddress()
                + " is not allowed to use export " + exportName, "host " + client.getHostAddress()
                + " is not allowed to use " + path + " by " + source);
    }

    /** The NBD names of the exports {@code client} may use (one per path, its first admitting line). */
    public List<String> namesFor(InetAddress client) {
        Map<String, String> names = new LinkedHashMap<>();
        for (ExportRule rule : rules) {
            if (rule.admits(client)) {
                names.putIfAbsent(rule.path(), rule.name());
            }
        }
        return List.copyOf(names.values());
    }
}
