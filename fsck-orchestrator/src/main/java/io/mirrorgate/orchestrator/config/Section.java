package io.mirrorgate.orchestrator.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.common.config.ConfigSection;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One table of the configuration file, read key by key with the replicator's reader ({@link
 * ConfigSection}: every key read is remembered, so that {@link #rejectUnknownKeys} refuses the
 * others; errors name the file, the table and the key, and say what was expected), plus what this
 * file has and the replicator's has not: non-empty strings, names, nested tables, arrays of
 * tables and commands as arrays of strings.
 */
final class Section extends ConfigSection {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");
    static final String NAME_SYNTAX = "1 to 63 characters of A-Z a-z 0-9 _ . -, starting with a letter or digit";

    /** {@code table} is "" for the top level, or for example "[heartbeat]". */
    Section(String source, String table, JsonNode node) {
        super(source, table, node);
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
        return new Section(source(), "[" + name + "]", value);
    }

    /** A string; in this file an empty one is never meant. */
    @Override
    public String string(String key, String defaultValue) {
        JsonNode value = raw(key);
        if (value != null && value.isTextual() && value.asText().isEmpty()) {
            throw error(key, value + " is not a non-empty string (expected: a quoted string)");
        }
        return super.string(key, defaultValue);
    }

    String name(String key, String defaultValue) {
        String text = string(key, defaultValue);
        if (!NAME.matcher(text).matches()) {
            throw error(key, quote(text) + " is not a valid name (expected: " + NAME_SYNTAX + ")");
        }
        return text;
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
            out.add(new Section(source(), "[[" + name + "]] #" + i, item));
        }
        return out;
    }

    /** The names of the keys of this table, in file order. */
    List<String> keys() {
        List<String> out = new ArrayList<>();
        node().fieldNames().forEachRemaining(out::add);
        return out;
    }
}
