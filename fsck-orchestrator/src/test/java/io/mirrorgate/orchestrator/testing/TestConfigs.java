package io.mirrorgate.orchestrator.testing;

import io.mirrorgate.orchestrator.config.OrchestratorConfig;
import java.nio.file.Path;

/** Configuration files for tests: one resource with fsck and mount, one address, two services. */
public final class TestConfigs {
    private TestConfigs() {}

    /** The text of a complete Linux configuration with its state in {@code dir}. */
    public static String text(Path dir, String extraTop) {
        return "node = \"alpha\"\n"
                + "address = \"127.0.0.1\"\n"
                + "platform = \"linux\"\n"
                + "replicator = [\"replicator\", \"-c\", \"/etc/r.toml\"]\n"
                + "state_dir = \"" + dir.resolve("state") + "\"\n"
                + "control = \"" + dir.resolve("orchestrator.sock") + "\"\n"
                + "notify = [\"notify\", \"admin@example.net\"]\n"
                + extraTop
                + "[peer]\nnode = \"beta\"\naddress = \"127.0.0.2\"\n"
                + "[heartbeat]\nkey_file = \"" + dir.resolve("key") + "\"\nkeepalive = \"200ms\"\nwarntime = \"500ms\"\n"
                + "deadtime = \"1s\"\ninitdead = \"2s\"\n"
                + "[resource.r0]\ndevice = \"/dev/nbd0\"\nmount = \"/srv/r0\"\n"
                + "[[service_address]]\naddress = \"192.0.2.50/24\"\ninterface = \"eth0\"\n"
                + "[[service]]\nname = \"db\"\nstart = [\"svc\", \"start\", \"db\"]\nstop = [\"svc\", \"stop\", \"db\"]\n"
                + "status = [\"svc\", \"status\", \"db\"]\n"
                + "[[service]]\nname = \"web\"\nstart = [\"svc\", \"start\", \"web\"]\nstop = [\"svc\", \"stop\", \"web\"]\n";
    }

    public static OrchestratorConfig linux(Path dir) {
        return OrchestratorConfig.parse(text(dir, ""), "test.toml");
    }
}
