package io.mirrorgate.orchestrator.platform;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A command as an argument vector whose elements may hold placeholders such as {@code {address}}.
 * Expanding replaces each placeholder inside each element; the vector is never split on spaces,
 * so a value with spaces stays one argument. An empty template means "nothing to run".
 */
public record CommandTemplate(List<String> argv) {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z_]+)}");

    public CommandTemplate {
        argv = List.copyOf(argv);
    }

    public static CommandTemplate of(String... argv) {
        return new CommandTemplate(List.of(argv));
    }

    public boolean isEmpty() {
        return argv.isEmpty();
    }

    /** The placeholders used that are not in {@code allowed}, for validating the configuration. */
    public List<String> unknownPlaceholders(Set<String> allowed) {
        List<String> unknown = new ArrayList<>();
        for (String arg : argv) {
            Matcher m = PLACEHOLDER.matcher(arg);
            while (m.find()) {
                if (!allowed.contains(m.group(1))) {
                    unknown.add("{" + m.group(1) + "}");
                }
            }
        }
        return unknown;
    }

    /** The command with every placeholder replaced by its value. */
    public List<String> expand(Map<String, String> values) {
        List<String> out = new ArrayList<>(argv.size());
        for (String arg : argv) {
            Matcher m = PLACEHOLDER.matcher(arg);
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                String value = values.get(m.group(1));
                if (value == null) {
                    throw new IllegalArgumentException("no value for placeholder {" + m.group(1) + "} in " + argv);
                }
                m.appendReplacement(sb, Matcher.quoteReplacement(value));
            }
            m.appendTail(sb);
            out.add(sb.toString());
        }
        return Collections.unmodifiableList(out);
    }

    @Override
    public String toString() {
        return String.join(" ", argv);
    }
}
