package io.mirrorgate.replicator.config;

import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.testing.FuzzInput;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The replicator's configuration parser fed arbitrary and mutated TOML: it accepts it or refuses
 * it with a {@link MirrorgateException} (file, resource, key, expectation), nothing else.
 */
class ReplicatorConfigFuzzTest {
    private static final String VALID = String.join("\n", "node = \"alpha\"",
            "control = \"/run/mg/ctl.sock\"", "metrics = \"off\"", "[resource.r0]",
            "local = \"/var/lib/mirrorgate/r0.img\"", "role = \"primary\"", "remote = \"backup:3080\"",
            "listen = \"0.0.0.0:7790\"", "mode = \"memsync\"", "region_size = \"1MiB\"",
            "timeout = \"1500ms\"", "resync_rate = \"50MiB/s\"", "split_brain = \"discard-secondary\"",
            "tls_cert = \"/pki/a.pem\"", "tls_key = \"/pki/a.key\"", "tls_ca = \"/pki/ca.pem\"",
            "[resource.r1]", "local = \"/dev/sdb\"", "remote = \"[fd00::2]:3080\"", "");

    @Test
    void onlyConfigurationErrorsEscape() {
        FuzzInput.forEach(List.of(VALID.getBytes(StandardCharsets.UTF_8)), 300, c -> {
            try {
                ReplicatorConfig.parse(new String(c.input(), StandardCharsets.UTF_8), "fuzz.toml");
            } catch (MirrorgateException refused) {
                // the parser's own refusal
            }
        });
    }
}
