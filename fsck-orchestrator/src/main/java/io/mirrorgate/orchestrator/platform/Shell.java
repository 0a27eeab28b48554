package io.mirrorgate.orchestrator.platform;

import java.util.List;
import java.util.regex.Pattern;

/** Shows an argument vector as a shell would need it typed, for logs and {@code --dry-run}. */
public final class Shell {
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_./:=@%+,-]+");

    private Shell() {}

    public static String quote(List<String> argv) {
        StringBuilder sb = new StringBuilder();
        for (String arg : argv) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(SAFE.matcher(arg).matches() ? arg : "'" + arg.replace("'", "'\\''") + "'");
        }
        return sb.toString();
    }
}
