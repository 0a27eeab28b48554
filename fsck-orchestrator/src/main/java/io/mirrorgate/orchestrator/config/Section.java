package io.mirrorgate.orchestrator.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.replicator.config.ConfigException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One table of the configuration file, read key by key, as the replicator's configuration does:
 * every key read is remembered so that {@link #rejectUnknownKeys} refuses the others (a typo is
 * an error, never a silently ignored setting). Errors name the file, the table and the key, and
 * say what was expected.
 */
final class Section {
    private static final Pattern DURATION = Pattern.compile("(\\d{1,12})\\s*(ms|s|m|h)");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");
    static final String NAME_SYNTAX = "1 to 63 characters of A-Z a-z 0-9 _ . -, starting with a letter or digit";
    static final String DURATION_SYNTAX = "a duration such as \"200ms\", \"10s\", \"2m\"";

    private final String source;
    private final String table;
    private final JsonNode node;
    private final Set<String> known = new LinkedHashSet<>();

    /** {@code table} is "" for the top level, or for example "[heartbeat]". */
    Section(String source, String table, JsonNode node) {
        this.source = source;
        this.table = table;
        this.node = node;
    }

    String source() {
        return source;
    }

    ConfigException error(String key, String problem) {
        return new ConfigException(source + ": " + (table.isEmpty() ? "" : table + ": ") + "key " + key + ": "
                + problem);
    }

    /** The raw node of {@code key} (null when absent), recorded as known. */
    JsonNode raw(String key) {
        known.add(key);
        JsonNode value = node.get(key);
        return value == null || value.isNull() ? null : value;
    }

    boolean has(String key) {
        return raw(key) != null;
    }

    /** A table below this one; {@code null} when absent. */
    Section table(String key, String name) {
        JsonNode value = raw(key);
        if (value == null) {
            return null;
        }
        if (!value.isObject()) {
            throw error(key, value + " is not a table (expected: [" + name + "])");
        }
        return new Section(source, "[" + name + "]", value);
    }

    String string(String key, String defaultValue) {
        JsonNode value = raw(key);
        if (value == null) {
            if (defaultValue == null) {
                throw error(key, "missing (expected: a string)");
            }
            return defaultValue;
        }
        if (!value.isTextual() || value.asText().isEmpty()) {
            throw error(key, value + " is not a non-empty string (expected: a quoted string)");
        }
        return value.asText();
    }

    String name(String key, String defaultValue) {
        String text = string(key, defaultValue);
        if (!NAME.matcher(text).matches()) {
            throw error(key, quote(text) + " is not a valid name (expected: " + NAME_SYNTAX + ")");
        }
        return text;
    }

    Path absolutePath(String key, String defaultValue) {
        String text = string(key, defaultValue);
        if (!text.startsWith("/") || text.indexOf('\0') >= 0) {
            throw error(key, quote(text) + " is not an absolute path (expected: a path starting with /)");
        }
        return Path.of(text).normalize();
    }

    boolean bool(String key, boolean defaultValue) {
        JsonNode value = raw(key);
        if (value == null) {
            return defaultValue;
        }
        if (!value.isBoolean()) {
            throw error(key, value + " is not a boolean (expected: true or false)");
        }
        return value.booleanValue();
    }

    long integer(String key, long defaultValue, long min, long max) {
        JsonNode value = raw(key);
        if (value == null) {
            return defaultValue;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw error(key, value + " is not an integer (expected: an integer from " + min + " to " + max + ")");
        }
        long v = value.longValue();
        if (v < min || v > max) {
            throw error(key, v + " is out of range (expected: an integer from " + min + " to " + max + ")");
        }
        return v;
    }

    Duration duration(String key, String defaultValue, Duration min, Duration max) {
        String text = string(key, defaultValue);
        Duration d = parseDuration(text);
        if (d == null) {
            throw error(key, quote(text) + " is not a duration (expected: " + DURATION_SYNTAX + ")");
        }
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw error(key, quote(text) + " is out of range (expected: from " + min.toMillis() + "ms to "
                    + max.toSeconds() + "s)");
        }
        return d;
    }

    static Duration parseDuration(String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            return null;
        }
        long value = Long.parseLong(m.group(1));
        switch (m.group(2)) {
            case "ms":
                return Duration.ofMillis(value);
            case "s":
                return Duration.ofSeconds(value);
            case "m":
                return Duration.ofMinutes(value);
            default:
                return Duration.ofHours(value);
        }
    }

    /**
     * An array of strings. {@code null} when absent and {@code defaultValue} is null; an empty list
     * only when {@code emptyAllowed}. Commands are arrays (never split on spaces), as execve takes them.
     */
    List<String> strings(String key, List<String> defaultValue, boolean emptyAllowed, String expected) {
        JsonNode value = raw(key);
        if (value == null) {
            return defaultValue;
        }
        if (!value.isArray()) {
            throw error(key, value + " is not an array of strings (expected: " + expected + ")");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode item : value) {
            if (!item.isTextual() || item.asText().isEmpty()) {
                throw error(key, "element " + item + " is not a non-empty string (expected: " + expected + ")");
            }
            out.add(item.asText());
        }
        if (out.isEmpty() && !emptyAllowed) {
            throw error(key, "is empty (expected: " + expected + ")");
        }
        return Collections.unmodifiableList(out);
    }

    /** The elements of an array of tables ({@code [[service]]}), each as a section. */
    List<Section> tables(String key, String name) {
        JsonNode value = raw(key);
        List<Section> out = new ArrayList<>();
        if (value == null) {
            return out;
        }
        if (!value.isArray()) {
            throw error(key, value + " is not an array of tables (expected: [[" + name + "]] tables)");
        }
        int i = 0;
        for (JsonNode item : value) {
            i++;
            if (!item.isObject()) {
                throw error(key, "element " + i + " is not a table (expected: [[" + name + "]] tables)");
            }
            out.add(new Section(source, "[[" + name + "]] #" + i, item));
        }
        return out;
    }

    /** The names of the keys of this table, in file order. */
    List<String> keys() {
        List<String> out = new ArrayList<>();
        node.fieldNames().forEachRemaining(out::add);
        return out;
    }

    /** Fails on the first key of this table that no reader asked for. */
    void rejectUnknownKeys() {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!known.contains(key)) {
                throw error(key, "unknown key (expected one of: " + String.join(", ", known) + ")");
            }
        }
    }

    static String quote(String text) {
        return "\"" + text + "\"";
    }
}
