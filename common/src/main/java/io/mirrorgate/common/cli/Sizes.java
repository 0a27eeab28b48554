package io.mirrorgate.common.cli;

import java.util.Locale;

/** Byte sizes as operators write them: {@code 4096}, {@code 512K}, {@code 32MiB}, {@code 1G}. */
public final class Sizes {
    private Sizes() {}

    /** Parses a size; binary units (K = KiB = 1024). */
    public static long parse(String text) {
        String t = text.trim().toUpperCase(Locale.ROOT).replace("IB", "").replace("B", "");
        long unit = 1;
        if (!t.isEmpty()) {
            char last = t.charAt(t.length() - 1);
            int shift = "KMGTP".indexOf(last);
            if (shift >= 0) {
                unit = 1L << (10 * (shift + 1));
                t = t.substring(0, t.length() - 1).trim();
            }
        }
        try {
            long value = Long.parseLong(t);
            if (value < 0 || value > Long.MAX_VALUE / unit) {
                throw new NumberFormatException();
            }
            return value * unit;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size: " + text
                    + " (expected: a number with an optional unit K, M, G, T, e.g. 32M)", e);
        }
    }

    /** A human-readable size: {@code 1.5 GiB}. */
    public static String format(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double value = bytes;
        int u = 0;
        while (Math.abs(value) >= 1024 && u < units.length - 1) {
            value /= 1024;
            u++;
        }
        return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", value, units[u]);
    }

    /** The picocli converter of a size option. */
    public static final class Converter implements picocli.CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return parse(value);
        }
    }
}
