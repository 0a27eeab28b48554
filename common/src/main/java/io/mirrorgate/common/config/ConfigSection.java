package io.mirrorgate.common.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.common.error.Reasons;
import io.mirrorgate.common.net.HostPort;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * One table of the configuration file, read key by key. Every read key is remembered, so that
 * {@link #rejectUnknownKeys} can refuse the keys nobody asked for (a typo is an error, never a
 * silently ignored setting). Errors name the file, the table and the key. Public for the other
 * programs' configuration files (fsck-orchestrator's extends it with its own value kinds).
 */
public class ConfigSection {
    private final String source;
    private final String table;
    private final JsonNode node;
    private final Set<String> known = new LinkedHashSet<>();

    /** {@code table} is "" for the top level, or for example "resource r0". */
    private static final TomlMapper TOML = new TomlMapper();

    /**
     * The text of the configuration file {@code file}; one that cannot be read is an {@code
     * ENOENT} (or {@code EACCES}) error naming it, with {@code expected} saying what it should be.
     */
    public static String readFile(Path file, String expected) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new MirrorgateException(e instanceof AccessDeniedException ? ErrorCode.EACCES
                    : ErrorCode.ENOENT, file + ": cannot read the configuration file: "
                    + Reasons.fileReason(e) + " (expected: " + expected + ")", e);
        }
    }

    /**
     * The top-level table of the TOML {@code text} (an empty one for an empty file); a syntax error
     * is a {@link ConfigException} naming {@code sourceName} and the line.
     */
    public static JsonNode parseToml(String text, String sourceName) {
        JsonNode root;
        try {
            root = TOML.readTree(text);
        } catch (JacksonException e) {
            JsonLocation at = e.getLocation();
            String line = at == null || at.getLineNr() < 0 ? "" : " line " + at.getLineNr() + ":";
            throw new ConfigException(sourceName + ":" + line + " not valid TOML: " + e.getOriginalMessage(), e);
        }
        return root == null || !root.isObject() ? TOML.createObjectNode() : root;
    }

    /** An empty table, standing for one that is not a table (so that its readers still report). */
    public static JsonNode emptyTable() {
        return TOML.createObjectNode();
    }

    public ConfigSection(String source, String table, JsonNode node) {
        this.source = source;
        this.table = table;
        this.node = node;
    }

    /** The file this table was read from (for messages). */
    public String source() {
        return source;
    }

    /** The table's node, for readers of nested tables and key lists. */
    protected JsonNode node() {
        return node;
    }

    public ConfigException error(String key, String problem) {
        return new ConfigException(where(key) + problem);
    }

    public String where(String key) {
        return source + ": " + (table.isEmpty() ? "" : table + ": ") + "key " + key + ": ";
    }

    /** The raw node of {@code key} (null when absent), recorded as known. */
    public JsonNode raw(String key) {
        known.add(key);
        JsonNode value = node.get(key);
        return value == null || value.isNull() ? null : value;
    }

    public String string(String key, String defaultValue) {
        JsonNode value = raw(key);
        if (value == null) {
            if (defaultValue == null) {
                throw error(key, "missing (expected: a string)");
            }
            return defaultValue;
        }
        if (!value.isTextual()) {
            throw error(key, value + " is not a string (expected: a quoted string)");
        }
        return value.asText();
    }

    public String requiredString(String key) {
        return string(key, null);
    }

    public Path absolutePath(String key, String defaultValue) {
        String text = string(key, defaultValue);
        if (text.isEmpty() || !text.startsWith("/") || text.indexOf('\0') >= 0) {
            throw error(key, quote(text) + " is not an absolute path (expected: a path starting with /)");
        }
        return Path.of(text).normalize();
    }

    public boolean bool(String key, boolean defaultValue) {
        JsonNode value = raw(key);
        if (value == null) {
            return defaultValue;
        }
        if (!value.isBoolean()) {
            throw error(key, value + " is not a boolean (expected: true or false)");
        }
        return value.booleanValue();
    }

    public long integer(String key, long defaultValue, long min, long max) {
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

    /** A size: a bare integer is bytes, a string may carry a unit (see {@link ConfigValues}). */
    public long size(String key, String defaultValue, long min, long max) {
        JsonNode value = raw(key);
        Long bytes;
        String shown;
        if (value == null) {
            bytes = ConfigValues.size(defaultValue);
            shown = defaultValue;
        } else if (value.isIntegralNumber() && value.canConvertToLong()) {
            bytes = value.longValue();
            shown = value.toString();
        } else if (value.isTextual()) {
            bytes = ConfigValues.size(value.asText());
            shown = quote(value.asText());
        } else {
            bytes = null;
            shown = value.toString();
        }
        if (bytes == null) {
            throw error(key, shown + " is not a size (expected: " + ConfigValues.SIZE_SYNTAX + ")");
        }
        if (bytes < min || bytes > max) {
            throw error(key, shown + " is out of range (expected: from " + ConfigValues.formatSize(min)
                    + " to " + ConfigValues.formatSize(max) + ")");
        }
        return bytes;
    }

    public Duration duration(String key, String defaultValue, Duration min, Duration max) {
        String text = string(key, defaultValue);
        Duration d = ConfigValues.duration(text);
        if (d == null) {
            throw error(key, quote(text) + " is not a duration (expected: " + ConfigValues.DURATION_SYNTAX + ")");
        }
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw error(key, quote(text) + " is out of range (expected: from " + min.toMillis() + "ms to "
                    + max.toSeconds() + "s)");
        }
        return d;
    }

    public <E extends Enum<E>> E choice(String key, String defaultValue, Class<E> type) {
        String text = string(key, defaultValue);
        StringBuilder names = new StringBuilder();
        for (E constant : type.getEnumConstants()) {
            String name = constant.name().toLowerCase().replace('_', '-');
            if (name.equals(text)) {
                return constant;
            }
            names.append(names.length() == 0 ? "" : " | ").append(name);
        }
        throw error(key, quote(text) + " is not a valid choice (expected: " + names + ")");
    }

    /** An endpoint {@code host:port}; {@code off} yields null when {@code offAllowed}. */
    public HostPort endpoint(String key, String defaultValue, boolean offAllowed, int minPort) {
        String text = string(key, defaultValue);
        if (offAllowed && text.equals("off")) {
            return null;
        }
        HostPort hp = parseEndpoint(text, minPort);
        if (hp == null) {
            throw error(key, quote(text) + " is not an endpoint (expected: host:port with port " + minPort
                    + "..65535, or [ipv6]:port" + (offAllowed ? ", or \"off\")" : ")"));
        }
        return hp;
    }

    /**
     * Parses {@code host:port} or {@code [v6-address]:port} strictly (the port is required);
     * null when {@code text} does not have that shape or the port is outside {@code
     * minPort..65535}. The host is kept as written, unresolved.
     */
    static HostPort parseEndpoint(String text, int minPort) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            return null;
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            return null; // a bare IPv6 address must be bracketed
        }
        String portText = text.substring(colon + 1);
        if (host.isEmpty() || !portText.chars().allMatch(Character::isDigit) || portText.length() > 5) {
            return null;
        }
        int port = Integer.parseInt(portText);
        return port < minPort || port > 65535 ? null : new HostPort(host, port);
    }

    /** Fails on the first key of this table that no reader asked for. */
    public void rejectUnknownKeys() {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!known.contains(key)) {
                throw error(key, "unknown key (expected one of: " + String.join(", ", known) + ")");
            }
        }
    }

    public static String quote(String text) {
        return "\"" + text + "\"";
    }
}
