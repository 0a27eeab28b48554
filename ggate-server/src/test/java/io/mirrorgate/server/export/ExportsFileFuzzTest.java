package io.mirrorgate.server.export;

import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.testing.FuzzInput;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The exports file parser fed arbitrary and mutated files: it accepts a file or refuses it with a
 * {@link MirrorgateException} naming the line, nothing else; an accepted file answers lookups
 * with a result or a refusal, nothing else.
 */
class ExportsFileFuzzTest {
    private static final String VALID = String.join("\n",
            "# host-or-network[/mask]   access   path                 [nbd-export-name]",
            "10.0.0.0/24                RW       /dev/sdb             disk0",
            "192.168.0.0/255.255.255.0  RO       /data/disk.img",
            "fd00::/8                   WO       /data/w.img          w",
            "backup.example.org         RW       /data/disk.img",
            "*                          RO       /srv/iso.img         iso", "");
    private static final HostPattern.HostResolver HOSTS = host -> {
        if (host.length() > 40) {
            throw new UnknownHostException(host);
        }
        return new InetAddress[] {InetAddress.getByName("172.16.5.9")};
    };

    private static final String[] NAMES = {"disk0", "/dev/sdb", "/data/disk.img", "iso", "w", ""};

    @Test
    void onlyRefusalsEscape() {
        FuzzInput.forEach(List.of(VALID.getBytes(StandardCharsets.UTF_8)), 300, c -> {
            String text = new String(c.input(), StandardCharsets.UTF_8);
            String name = c.random().nextBoolean() ? NAMES[c.random().nextInt(NAMES.length)]
                    : new String(FuzzInput.mutate(NAMES[c.random().nextInt(NAMES.length)].getBytes(
                            StandardCharsets.UTF_8), c.random()), StandardCharsets.UTF_8);
            check(text, name);
        });
    }

    private static void check(String text, String name) throws Exception {
        ExportsFile file;
        try {
            file = ExportsFile.parse("fuzz", text.lines().toList(), HOSTS);
        } catch (MirrorgateException refused) {
            return;
        }
        file.exports();
        for (String client : new String[] {"10.0.0.7", "192.168.0.1", "fd00::1", "8.8.8.8"}) {
            file.namesFor(InetAddress.getByName(client));
            try {
                file.match(name, InetAddress.getByName(client));
            } catch (MirrorgateException refused) {
                // no such export, or not allowed
            }
        }
    }
}
