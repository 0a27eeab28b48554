package io.mirrorgate.replicator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.replicator.testing.MirrorPair;
import io.mirrorgate.common.cli.ExitCodes;
import io.mirrorgate.common.cli.Keys;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an operator meets first with {@code replicator}: no command, a missing configuration file,
 * a listen address already taken. Exit codes as the help footer promises, messages that name the
 * file or address, and a failed start that leaves the bitmap flagged clean.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReplicatorOperatorCliTest {
    @TempDir
    Path dir;

    private Path config(String extra) throws Exception {
        Path file = dir.resolve("replicator.toml");
        Files.writeString(file, "node = \"alpha\"\ncontrol = \"" + dir.resolve("replicator.sock") + "\"\n"
                + extra + "\n[resource.r0]\nlocal = \"" + dir.resolve("r0.img") + "\"\n"
                + "role = \"primary\"\nremote = \"127.0.0.1:9\"\nkey_file = \"" + dir.resolve("key") + "\"\n"
                + "region_size = \"64KiB\"\n");
        return file;
    }

    private static void assertNoJavaNames(MirrorPair.CliResult r) {
        assertFalse(r.err().contains("java.") || r.err().contains("Exception") || r.err().contains("(..)"),
                "a Java class or native call name in: " + r.err());
    }

    @Test
    void noCommandExits64WithTheUsage() throws Exception {
        MirrorPair.CliResult r = MirrorPair.cli(config("metrics = \"off\""));
        assertEquals(ExitCodes.USAGE, r.exitCode());
        assertTrue(r.err().startsWith("replicator: a command is required (expected: one of create, run,"),
                r.err());
        assertTrue(r.err().contains("Usage: replicator"), r.err());
    }

    @Test
    void aMissingConfigurationFileExits66LikeEveryMissingFile() {
        Path missing = dir.resolve("none.toml");
        for (String command : new String[] {"status", "run", "create"}) {
            MirrorPair.CliResult r = command.equals("create") ? MirrorPair.cli(missing, command, "r0")
                    : MirrorPair.cli(missing, command);
            assertEquals(ExitCodes.NO_SUCH, r.exitCode(), command + ": " + r.err());
            assertEquals("replicator: " + missing + ": cannot read the configuration file: no such file"
                    + " (expected: the TOML file of the resources, see -c)\n", r.err());
            assertNoJavaNames(r);
        }
    }

    @Test
    void aTakenNbdAddressExits69NamingItAndLeavesTheBitmapClean() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            Path config = config("metrics = \"off\"");
            Files.writeString(config, Files.readString(config) + "nbd_listen = \"" + address + "\"\n");
            Keys.generate(dir.resolve("key"), false);
            assertEquals(ExitCodes.OK, MirrorPair.cli(config, "create", "r0", "--size", "1M").exitCode());

            MirrorPair.CliResult run = MirrorPair.cli(config, "run");
            assertEquals(ExitCodes.UNAVAILABLE, run.exitCode(), run.err());
            assertEquals("replicator: cannot listen for NBD on " + address + ": address already in use (another"
                    + " program listens there; choose another address with nbd_listen of resource r0)\n",
                    run.err());
            assertNoJavaNames(run);

            MirrorPair.CliResult dump = MirrorPair.cli(config, "dump-metadata", "r0");
            assertTrue(dump.out().contains("clean shutdown: yes\n"), dump.out());
            assertFalse(Files.exists(dir.resolve("replicator.sock")), "control socket left behind");
        }
    }

    @Test
    void aTakenReplicaListenAddressExits69NamingIt() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            Path config = config("metrics = \"off\"");
            Files.writeString(config, Files.readString(config) + "listen = \"" + address + "\"\n");
            Keys.generate(dir.resolve("key"), false);
            assertEquals(ExitCodes.OK, MirrorPair.cli(config, "create", "r0", "--size", "1M").exitCode());
            MirrorPair.CliResult run = MirrorPair.cli(config, "run");
            assertEquals(ExitCodes.UNAVAILABLE, run.exitCode(), run.err());
            assertEquals("replicator: cannot listen for the peer on " + address + ": address already in use"
                    + " (another program listens there; choose another address with listen of resource r0)\n",
                    run.err());
            MirrorPair.CliResult dump = MirrorPair.cli(config, "dump-metadata", "r0");
            assertTrue(dump.out().contains("clean shutdown: yes\n"), dump.out());
        }
    }

    @Test
    void aTakenMetricsAddressExits69NamingIt() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            Path config = config("metrics = \"" + address + "\"");
            Keys.generate(dir.resolve("key"), false);
            assertEquals(ExitCodes.OK, MirrorPair.cli(config, "create", "r0", "--size", "1M").exitCode());
            MirrorPair.CliResult run = MirrorPair.cli(config, "run");
            assertEquals(ExitCodes.UNAVAILABLE, run.exitCode(), run.err());
            assertEquals("replicator: cannot listen for metrics on " + address + ": address already in use"
                    + " (another program listens there; choose another address with metrics)\n", run.err());
            MirrorPair.CliResult dump = MirrorPair.cli(config, "dump-metadata", "r0");
            assertTrue(dump.out().contains("clean shutdown: yes\n"), dump.out());
        }
    }
}
