package io.mirrorgate.orchestrator.testing;

import io.mirrorgate.orchestrator.platform.CommandRunner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A pretend Linux machine behind a {@link CommandRunner}: it answers the default Linux command
 * set ({@code ip}, {@code arping}, {@code mount}, {@code umount}, {@code e2fsck}), a {@code
 * replicator} command and {@code svc start|stop|status NAME} services, keeps their effects, and
 * records every command run. Failures and crashes can be injected per command.
 */
public class FakeSystem implements CommandRunner {
    /** Thrown by an injected crash: the process "dies" in the middle of the plan. */
    public static final class Crash extends Error {
        private static final long serialVersionUID = 1L;

        Crash(String message) {
            super(message);
        }
    }

    public final List<String> commands = new ArrayList<>();
    public final List<Map<String, String>> environments = new ArrayList<>();
    public final Set<String> addresses = new LinkedHashSet<>(); // "10.0.0.5/24 dev eth0"
    public final Map<String, String> mounts = new LinkedHashMap<>(); // mount point -> device
    public final Set<String> running = new LinkedHashSet<>();
    public final Map<String, String> roles = new HashMap<>();
    public final Map<String, Long> epochs = new HashMap<>();
    public String peerRole = "secondary";
    public boolean fenced;
    public int fsckExit;
    public int replicatorExit;
    private final Map<Predicate<String>, Integer> failures = new LinkedHashMap<>();
    private Predicate<String> crash;

    /** Commands whose line starts with {@code prefix} exit {@code code} (and change nothing). */
    public FakeSystem failOn(String prefix, int code) {
        failures.put(line -> line.startsWith(prefix), code);
        return this;
    }

    /** The next command whose line starts with {@code prefix} crashes the caller (once). */
    public FakeSystem crashOn(String prefix) {
        crash = line -> line.startsWith(prefix);
        return this;
    }

    /** The commands run whose line starts with {@code prefix}. */
    public List<String> ran(String prefix) {
        List<String> out = new ArrayList<>();
        commands.stream().filter(c -> c.startsWith(prefix)).forEach(out::add);
        return out;
    }

    @Override
    public synchronized Result run(List<String> argv, Map<String, String> env, Duration timeout) {
        String line = String.join(" ", argv);
        commands.add(line);
        environments.add(env);
        if (crash != null && crash.test(line)) {
            crash = null;
            throw new Crash("crash at: " + line);
        }
        for (Map.Entry<Predicate<String>, Integer> f : failures.entrySet()) {
            if (f.getKey().test(line)) {
                return Result.exit(f.getValue(), "injected failure");
            }
        }
        return apply(argv, line);
    }

    private Result apply(List<String> a, String line) {
        switch (a.get(0)) {
            case "ip":
                return ip(a);
            case "arping":
                return Result.success("");
            case "mount":
                if (a.size() == 1) {
                    StringBuilder sb = new StringBuilder("proc on /proc type proc (rw)\n");
                    mounts.forEach((mp, dev) -> sb.append(dev).append(" on ").append(mp).append(" type ext4 (rw)\n"));
                    return Result.success(sb.toString());
                }
                if (mounts.containsKey(a.get(2))) {
                    return Result.exit(32, "mount: " + a.get(2) + ": already mounted");
                }
                mounts.put(a.get(2), a.get(1));
                return Result.success("");
            case "umount":
                return mounts.remove(a.get(1)) != null ? Result.success("") : Result.exit(32, "not mounted");
            case "e2fsck":
                return Result.exit(fsckExit, fsckExit == 0 ? "" : "e2fsck: exit " + fsckExit);
            case "svc":
                return service(a.get(1), a.get(2));
            case "notify":
                return Result.success("");
            case "replicator":
                return replicator(a);
            default:
                return Result.exit(127, "command not found: " + line);
        }
    }

    private Result ip(List<String> a) {
        if (a.get(1).equals("-o")) { // ip -o addr show dev IF
            String dev = a.get(5);
            StringBuilder sb = new StringBuilder("2: " + dev + "    inet 192.0.2.1/24 brd 192.0.2.255 scope global\n");
            for (String addr : addresses) {
                if (addr.endsWith(" dev " + dev)) {
                    sb.append("2: ").append(dev).append("    inet ").append(addr, 0, addr.indexOf(' '))
                            .append(" scope global secondary ").append(dev).append('\n');
                }
            }
            return Result.success(sb.toString());
        }
        String entry = a.get(3) + " dev " + a.get(5);
        if (a.get(2).equals("add")) {
            return addresses.add(entry) ? Result.success("") : Result.exit(2, "RTNETLINK answers: File exists");
        }
        return addresses.remove(entry) ? Result.success("") : Result.exit(2, "RTNETLINK answers: Cannot assign");
    }

    private Result service(String verb, String name) {
        switch (verb) {
            case "start":
                running.add(name);
                return Result.success("");
            case "stop":
                running.remove(name);
                return Result.success("");
            default:
                return running.contains(name) ? Result.success("") : Result.exit(3, "");
        }
    }

    private Result replicator(List<String> a) {
        int at = a.indexOf("role") >= 0 ? a.indexOf("role") : a.indexOf("fence");
        if (a.contains("status")) {
            StringBuilder sb = new StringBuilder("[");
            roles.forEach((r, role) -> sb.append(sb.length() > 1 ? "," : "").append("{\"resource\":\"").append(r)
                    .append("\",\"role\":\"").append(role).append("\",\"state\":\"connected\",\"epoch\":")
                    .append(epochs.getOrDefault(r, 1L)).append(",\"fenced\":").append(fenced).append(",\"peer\":{\"connected\":true,")
                    .append("\"role\":\"").append(peerRole).append("\",\"epoch\":1}}"));
            return Result.success(sb.append("]").toString());
        }
        if (replicatorExit != 0) {
            return Result.exit(replicatorExit, "replicator: injected");
        }
        String resource = a.get(at + 1);
        if (a.get(at).equals("fence")) {
            epochs.merge(resource, 1L, Long::sum);
        } else {
            roles.put(resource, a.get(at + 2));
        }
        return Result.success("done");
    }
}
