package io.mirrorgate.orchestrator.platform;

import java.util.Locale;

/** The operating systems whose command sets the orchestrator knows. */
public enum Platform {
    LINUX,
    FREEBSD;

    /** The platform this JVM runs on: FreeBSD when {@code os.name} says so, else Linux. */
    public static Platform current() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        return os.contains("freebsd") ? FREEBSD : LINUX;
    }

    /** The name used in the configuration file ({@code linux}, {@code freebsd}). */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
