package io.mirrorgate.replicator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mirrorgate.replicator.testing.MirrorPair;
import io.mirrorgate.common.cli.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The replicator's command line in this JVM, without a running replicator. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReplicatorCliTest {
    @TempDir
    Path dir;

    private Path config(String extra) throws Exception {
        Path file = dir.resolve("replicator.toml");
        Files.writeString(file, "node = \"alpha\"\ncontrol = \"" + dir.resolve("replicator.sock") + "\"\n"
                + "metrics = \"off\"\n\n[resource.r0]\nlocal = \"" + dir.resolve("r0.img") + "\"\n"
                + "role = \"primary\"\nremote = \"127.0.0.1:3080\"\nkey_file = \"" + dir.resolve("key") + "\"\n"
                + "region_size = \"64KiB\"\n" + extra);
        return file;
    }

    @Test
    void createThenDumpMetadataShowsEveryRegionMarked() throws Exception {
        Path config = config("");
        MirrorPair.CliResult created = MirrorPair.cli(config, "create", "r0", "--size", "8M");
        assertEquals(ExitCodes.OK, created.exitCode(), created.err());
        assertTrue(created.out().startsWith("resource r0 created: metadata " + dir.resolve("r0.img.mgmeta")),
                created.out());
        assertTrue(created.out().contains("(new image)"), created.out());
        assertEquals(8L << 20, Files.size(dir.resolve("r0.img")));

        MirrorPair.CliResult dump = MirrorPair.cli(config, "dump-metadata", "r0");
        assertEquals(ExitCodes.OK, dump.exitCode(), dump.err());
        assertTrue(dump.out().contains("resource:       r0\n"), dump.out());
        assertTrue(dump.out().contains("generations:    local=1 syncedLocal=1 syncedPeer=0\n"), dump.out());
        assertTrue(dump.out().contains("clean shutdown: yes\n"), dump.out());
        assertTrue(dump.out().contains("marked:         128 regions (8.0 MiB): 0-127\n"), dump.out());

        MirrorPair.CliResult json = MirrorPair.cli(config, "dump-metadata", "r0", "--json");
        assertEquals(ExitCodes.OK, json.exitCode(), json.err());
        JsonNode m = new ObjectMapper().readTree(json.out());
        assertEquals(128, m.path("markedRegions").asLong());
        assertEquals(65536, m.path("regionSize").asLong());
        assertEquals("0-127", m.path("marked").asText());

        MirrorPair.CliResult again = MirrorPair.cli(config, "create", "r0");
        assertEquals(ExitCodes.DATA_ERROR, again.exitCode());
        assertTrue(again.err().startsWith("replicator: resource r0: metadata "), again.err());
        assertTrue(again.err().contains("--force"), again.err());
        assertEquals(ExitCodes.OK, MirrorPair.cli(config, "create", "r0", "--force").exitCode());
    }

    @Test
    void badConfigurationExits65NamingTheFileAndTheKey() throws Exception {
        Path config = config("region_size_typo = 1\n");
        MirrorPair.CliResult r = MirrorPair.cli(config, "status");
        assertEquals(ExitCodes.DATA_ERROR, r.exitCode());
        assertTrue(r.err().startsWith("replicator: " + config + ": resource r0: key region_size_typo: unknown key"),
                r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line without --verbose: " + r.err());

        Files.writeString(config, Files.readString(config).replace("region_size = \"64KiB\"", "region_size = \"3MiB\""));
        MirrorPair.CliResult bad = MirrorPair.cli(config, "create", "r0", "--size", "8M");
        assertEquals(ExitCodes.DATA_ERROR, bad.exitCode());
        assertTrue(bad.err().contains(config + ": resource r0: key region_size: 3MiB is not a power of two"), bad.err());
    }

    @Test
    void unknownResourceAndStoppedReplicatorHaveTheirExitCodes() throws Exception {
        Path config = config("");
        MirrorPair.CliResult none = MirrorPair.cli(config, "create", "r9", "--size", "1M");
        assertEquals(ExitCodes.DATA_ERROR, none.exitCode());
        assertTrue(none.err().contains("no resource \"r9\" (configured: r0)"), none.err());
        MirrorPair.CliResult stopped = MirrorPair.cli(config, "status");
        assertEquals(ExitCodes.UNAVAILABLE, stopped.exitCode());
        assertTrue(stopped.err().contains("the replicator is not running"), stopped.err());
        MirrorPair.CliResult resolve = MirrorPair.cli(config, "resolve", "r0");
        assertEquals(ExitCodes.USAGE, resolve.exitCode(), "--discard-local or --discard-remote is required");
        MirrorPair.CliResult both = MirrorPair.cli(config, "resolve", "r0", "--discard-local", "--discard-remote");
        assertEquals(ExitCodes.USAGE, both.exitCode());
    }

    @Test
    void helpAndVersion() {
        Path config = dir.resolve("absent.toml");
        MirrorPair.CliResult help = MirrorPair.cli(config, "--help");
        assertEquals(ExitCodes.OK, help.exitCode());
        for (String sub : new String[] {"create", "run", "status", "resolve", "dump-metadata", "--config"}) {
            assertTrue(help.out().contains(sub), sub + " in " + help.out());
        }
        MirrorPair.CliResult statusHelp = MirrorPair.cli(config, "status", "--help");
        assertTrue(statusHelp.out().contains("--watch") && statusHelp.out().contains("--json"), statusHelp.out());
        MirrorPair.CliResult version = MirrorPair.cli(config, "--version");
        assertEquals(ExitCodes.OK, version.exitCode());
        assertTrue(version.out().startsWith("replicator "), version.out());
    }
}
