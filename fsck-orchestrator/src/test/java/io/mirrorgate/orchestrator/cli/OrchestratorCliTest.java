package io.mirrorgate.orchestrator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mirrorgate.orchestrator.testing.FakeSystem;
import io.mirrorgate.orchestrator.testing.TestConfigs;
import io.mirrorgate.common.cli.ExitCodes;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The command line in this JVM, its plans run against a pretend machine, no daemon. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OrchestratorCliTest {
    @TempDir
    Path dir;

    private final FakeSystem system = new FakeSystem();
    private Path config;

    record Run(int exitCode, String out, String err) {}

    @BeforeEach
    void writeConfig() throws Exception {
        config = dir.resolve("orchestrator.toml");
        Files.writeString(config, TestConfigs.text(dir, ""));
        system.roles.put("r0", "secondary");
    }

    private Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] all = new String[args.length + 2];
        all[0] = "-c";
        all[1] = config.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        int code = OrchestratorMain.newCommandLine(new PrintWriter(out, true), new PrintWriter(err, true), system)
                .execute(all);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void everyCommandHasHelp() {
        for (List<String> args : List.of(List.of("--help"), List.of("run", "--help"), List.of("status", "--help"),
                List.of("promote-standby", "--help"), List.of("demote", "--help"))) {
            Run r = cli(args.toArray(String[]::new));
            assertEquals(0, r.exitCode(), args + ": " + r.err());
            assertTrue(r.out().startsWith("Usage: fsck-orchestrator"), r.out());
        }
        assertTrue(cli("--help").out().contains("promote-standby"));
        assertEquals(ExitCodes.USAGE, cli("promote-standby", "--bogus").exitCode());
    }

    @Test
    void promoteDryRunPrintsThePlanAndChangesNothing() {
        Run r = cli("promote-standby", "--dry-run");

        assertEquals(0, r.exitCode(), r.err() + r.out());
        assertTrue(r.out().contains("would run: replicator -c /etc/r.toml fence r0\n"), r.out());
        assertTrue(r.out().contains("would run: replicator -c /etc/r.toml role r0 primary\n"), r.out());
        assertTrue(r.out().contains("would run: e2fsck -p -f /dev/nbd0\n"), r.out());
        assertTrue(r.out().contains("would run: ip addr add 192.0.2.50/24 dev eth0\n"), r.out());
        assertTrue(r.out().contains("would run: svc start web\n"), r.out());
        assertTrue(r.out().contains("takeover step fsck ok in "), r.out());
        assertTrue(r.out().endsWith("takeover done\n"), r.out());
        assertEquals("secondary", system.roles.get("r0"));
        assertTrue(system.addresses.isEmpty() && system.mounts.isEmpty() && system.running.isEmpty());
        assertFalse(Files.exists(dir.resolve("state")), "no state written");
    }

    @Test
    void promoteIsRefusedWhileThePeerIsPrimaryUnlessForced() {
        system.peerRole = "primary";
        Run refused = cli("promote-standby");
        assertEquals(ExitCodes.DATA_ERROR, refused.exitCode(), refused.err());
        assertTrue(refused.err().startsWith("fsck-orchestrator: refused: the peer is connected and primary for r0"),
                refused.err());
        assertEquals(List.of(), system.ran("replicator -c /etc/r.toml fence"));

        Run forced = cli("promote-standby", "--force");
        assertEquals(0, forced.exitCode(), forced.err() + forced.out());
        assertEquals(List.of("replicator -c /etc/r.toml role r0 primary --force"),
                system.ran("replicator -c /etc/r.toml role"));
        assertEquals(1, system.addresses.size());
    }

    @Test
    void aFailingFsckExitsOneAndNamesTheStep() {
        system.fsckExit = 12;
        Run r = cli("promote-standby");
        assertEquals(ExitCodes.FAILURE, r.exitCode());
        assertTrue(r.out().contains("takeover FAILED: fsck: r0: fsck exit 12"), r.out());
        assertTrue(system.addresses.isEmpty());
    }

    @Test
    void demoteAfterPromoteMovesEverythingBack() {
        assertEquals(0, cli("promote-standby").exitCode());
        Run r = cli("demote");
        assertEquals(0, r.exitCode(), r.out());
        assertTrue(r.out().endsWith("demote done\n"), r.out());
        assertEquals("secondary", system.roles.get("r0"));
        assertTrue(system.addresses.isEmpty() && system.mounts.isEmpty() && system.running.isEmpty());
    }

    @Test
    void statusWithoutADaemonShowsTheLastPlanAndExits69() throws Exception {
        Run none = cli("status");
        assertEquals(ExitCodes.UNAVAILABLE, none.exitCode());
        assertTrue(none.err().startsWith("fsck-orchestrator: the orchestrator is not running (no answer on "),
                none.err());
        assertEquals("last plan: none\n", none.out());

        system.fsckExit = 4;
        cli("promote-standby");
        Run r = cli("status");
        assertEquals(ExitCodes.UNAVAILABLE, r.exitCode());
        assertTrue(r.out().startsWith("last plan: takeover failed, started "), r.out());
        assertTrue(r.out().contains("  fsck            failed "), r.out());
        Run json = cli("status", "--json");
        assertEquals(ExitCodes.UNAVAILABLE, json.exitCode());
        JsonNode o = new ObjectMapper().readTree(json.out());
        assertFalse(o.path("running").asBoolean(true));
        assertEquals("failed", o.path("lastPlan").path("outcome").asText());
    }

    @Test
    void aMissingConfigurationExits66LikeTheReplicators() throws Exception {
        Files.delete(config);
        Run r = cli("status");
        assertEquals(ExitCodes.NO_SUCH, r.exitCode());
        assertEquals("fsck-orchestrator: " + config + ": cannot read the configuration file: no such"
                + " file (expected: the orchestrator's TOML file, see -c)", r.err().strip());
    }

    @Test
    void aBadConfigurationExits65WithTheKey() throws Exception {
        Files.writeString(config, TestConfigs.text(dir, "colour = \"blue\"\n"));
        Run r = cli("promote-standby", "--dry-run");
        assertEquals(ExitCodes.DATA_ERROR, r.exitCode());
        assertTrue(r.err().startsWith("fsck-orchestrator: " + config + ": key colour: unknown key"), r.err());
    }
}
