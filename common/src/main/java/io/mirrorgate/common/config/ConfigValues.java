package io.mirrorgate.common.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parsers for the value syntaxes of the configuration file. Each returns null when the text does
 * not have the expected shape, so that the caller can report it with file, resource and key.
 *
 * <p>Sizes: a number of bytes with an optional unit; {@code B}; {@code K}/{@code k}/{@code KiB},
 * {@code M}/{@code MiB}, {@code G}/{@code GiB}, {@code T}/{@code TiB}. All units are binary
 * (1024-based), as in FreeBSD's {@code expand_number(3)} and DRBD: {@code 4M} is {@code 4MiB}.
 * Durations: a whole number with {@code ms}, {@code s}, {@code m} or {@code h}.
 */
public final class ConfigValues {
    private static final Pattern SIZE =
            Pattern.compile("(\\d{1,19})\\s*(B|[kK]|[kK]iB|[mM]|MiB|[gG]|GiB|[tT]|TiB)?");
    private static final Pattern DURATION = Pattern.compile("(\\d{1,12})\\s*(ms|s|m|h)");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    public static final String SIZE_SYNTAX = "a size such as 65536, \"64KiB\", \"4MiB\", \"1G\"";
    public static final String DURATION_SYNTAX = "a duration such as \"500ms\", \"10s\", \"2m\"";
    public static final String NAME_SYNTAX = "1 to 63 characters of A-Z a-z 0-9 _ . -, starting with a letter or digit";

    private ConfigValues() {}

    /** Bytes of a size text, or null if it is not a size or overflows a long. */
    public static Long size(String text) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) {
            return null;
        }
        try {
            long value = Long.parseLong(m.group(1));
            return Math.multiplyExact(value, unit(m.group(2)));
        } catch (NumberFormatException | ArithmeticException overflow) {
            return null;
        }
    }

    private static long unit(String unit) {
        if (unit == null || unit.equals("B")) {
            return 1;
        }
        switch (Character.toUpperCase(unit.charAt(0))) {
            case 'K':
                return 1L << 10;
            case 'M':
                return 1L << 20;
            case 'G':
                return 1L << 30;
            default:
                return 1L << 40;
        }
    }

    /** The duration of a text, or null if it is not a duration. */
    public static Duration duration(String text) {
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

    /** Whether {@code text} is a valid node or resource name (it must fit the metadata header). */
    public static boolean isName(String text) {
        return NAME.matcher(text).matches();
    }

    /** A size for messages: the largest binary unit that divides it exactly. */
    public static String formatSize(long bytes) {
        String[] units = {"TiB", "GiB", "MiB", "KiB"};
        int[] shifts = {40, 30, 20, 10};
        for (int i = 0; i < units.length; i++) {
            long unit = 1L << shifts[i];
            if (bytes != 0 && bytes % unit == 0) {
                return bytes / unit + units[i];
            }
        }
        return bytes + "B";
    }
}
