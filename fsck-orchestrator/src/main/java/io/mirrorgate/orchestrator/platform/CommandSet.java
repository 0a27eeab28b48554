package io.mirrorgate.orchestrator.platform;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;

/**
 * The system commands the takeover plan runs, for one platform, with the configuration's
 * overrides applied. Defaults:
 *
 * <pre>
 * key        placeholders                    Linux                                   FreeBSD
 * addr_add   address prefix interface        ip addr add A/P dev IF                  ifconfig IF inet A/P alias
 * addr_del   address prefix interface        ip addr del A/P dev IF                  ifconfig IF inet A -alias
 * addr_show  interface                       ip -o addr show dev IF                  ifconfig IF
 * announce   address interface               arping -U -c 3 -I IF A                  (none: alias announces)
 * fsck       device                          e2fsck -p -f DEV                        fsck -t ufs -p -y DEV
 * mount      device mountpoint               mount DEV MP                            mount DEV MP
 * umount     mountpoint                      umount MP                               umount MP
 * mounts     -                               mount                                   mount
 * ping       host                            ping -c 1 -W 1 HOST                     ping -c 1 -t 1 HOST
 * </pre>
 */
public final class CommandSet {
    /** The commands of a set, by configuration key. */
    public enum Kind {
        ADDR_ADD("address", "prefix", "interface"),
        ADDR_DEL("address", "prefix", "interface"),
        ADDR_SHOW("interface"),
        ANNOUNCE("address", "interface"),
        FSCK("device"),
        MOUNT("device", "mountpoint"),
        UMOUNT("mountpoint"),
        MOUNTS(),
        PING("host");

        private final Set<String> placeholders;

        Kind(String... placeholders) {
            this.placeholders = Set.of(placeholders);
        }

        public Set<String> placeholders() {
            return placeholders;
        }

        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Platform platform;
    private final Map<Kind, CommandTemplate> commands;

    private CommandSet(Platform platform, Map<Kind, CommandTemplate> commands) {
        this.platform = platform;
        this.commands = Collections.unmodifiableMap(commands);
    }

    /** The default commands of {@code platform}. */
    public static CommandSet defaults(Platform platform) {
        Map<Kind, CommandTemplate> c = new EnumMap<>(Kind.class);
        c.put(Kind.MOUNT, CommandTemplate.of("mount", "{device}", "{mountpoint}"));
        c.put(Kind.UMOUNT, CommandTemplate.of("umount", "{mountpoint}"));
        c.put(Kind.MOUNTS, CommandTemplate.of("mount"));
        if (platform == Platform.FREEBSD) {
            c.put(Kind.ADDR_ADD, CommandTemplate.of("ifconfig", "{interface}", "inet", "{address}/{prefix}", "alias"));
            c.put(Kind.ADDR_DEL, CommandTemplate.of("ifconfig", "{interface}", "inet", "{address}", "-alias"));
            c.put(Kind.ADDR_SHOW, CommandTemplate.of("ifconfig", "{interface}"));
            c.put(Kind.ANNOUNCE, CommandTemplate.of());
            c.put(Kind.FSCK, CommandTemplate.of("fsck", "-t", "ufs", "-p", "-y", "{device}"));
            c.put(Kind.PING, CommandTemplate.of("ping", "-c", "1", "-t", "1", "{host}"));
        } else {
            c.put(Kind.ADDR_ADD, CommandTemplate.of("ip", "addr", "add", "{address}/{prefix}", "dev", "{interface}"));
            c.put(Kind.ADDR_DEL, CommandTemplate.of("ip", "addr", "del", "{address}/{prefix}", "dev", "{interface}"));
            c.put(Kind.ADDR_SHOW, CommandTemplate.of("ip", "-o", "addr", "show", "dev", "{interface}"));
            c.put(Kind.ANNOUNCE, CommandTemplate.of("arping", "-U", "-c", "3", "-I", "{interface}", "{address}"));
            c.put(Kind.FSCK, CommandTemplate.of("e2fsck", "-p", "-f", "{device}"));
            c.put(Kind.PING, CommandTemplate.of("ping", "-c", "1", "-W", "1", "{host}"));
        }
        return new CommandSet(platform, c);
    }

    /** This set with {@code kind} replaced. */
    public CommandSet with(Kind kind, CommandTemplate template) {
        Map<Kind, CommandTemplate> c = new EnumMap<>(commands);
        c.put(kind, template);
        return new CommandSet(platform, c);
    }

    public Platform platform() {
        return platform;
    }

    public CommandTemplate get(Kind kind) {
        return commands.get(kind);
    }
}
