package io.mirrorgate.orchestrator.takeover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.orchestrator.config.OrchestratorConfig;
import io.mirrorgate.orchestrator.platform.DryRunRunner;
import io.mirrorgate.orchestrator.testing.FakeSystem;
import io.mirrorgate.orchestrator.testing.TestConfigs;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The takeover and demote plans against a pretend machine. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TakeoverPlanTest {
    @TempDir
    Path dir;

    private final FakeSystem system = new FakeSystem();
    private final List<String> reported = new ArrayList<>();

    private Plans plans(OrchestratorConfig config) {
        return new Plans(config, system, system, new StateStore(config.stateDir()), reported::add,
                System::currentTimeMillis);
    }

    private Plans plans() {
        return plans(TestConfigs.linux(dir));
    }

    private static List<String> stepNames(PlanRecord r) {
        List<String> names = new ArrayList<>();
        r.steps().forEach(s -> names.add(s.step() + "=" + s.outcome().label()));
        return names;
    }

    @Test
    void takeoverRunsTheStepsInOrderAndRecordsThem() {
        PlanRecord r = plans().takeover("peer beta dead", true);

        assertEquals(StepOutcome.OK, r.outcome(), reported::toString);
        assertEquals(List.of("fence=ok", "promote=ok", "fsck=ok", "mount=ok", "addresses=ok", "services=ok",
                "notify=ok"), stepNames(r));
        List<String> changes = new ArrayList<>(system.commands);
        changes.removeIf(c -> c.startsWith("ip -o") || c.equals("mount") || c.startsWith("svc status"));
        assertEquals(List.of(
                "replicator -c /etc/r.toml fence r0",
                "replicator -c /etc/r.toml role r0 primary --force",
                "e2fsck -p -f /dev/nbd0",
                "mount /dev/nbd0 /srv/r0",
                "ip addr add 192.0.2.50/24 dev eth0",
                "arping -U -c 3 -I eth0 192.0.2.50",
                "svc start db",
                "svc start web",
                "notify admin@example.net"), changes);
        assertEquals("primary", system.roles.get("r0"));
        assertEquals(Set.of("192.0.2.50/24 dev eth0"), system.addresses);
        assertEquals("takeover", system.environments.get(system.commands.indexOf("notify admin@example.net"))
                .get("MIRRORGATE_EVENT"));
        assertEquals(7, reported.stream().filter(l -> l.startsWith("takeover step ")).count(), reported::toString);
        assertTrue(reported.get(reported.size() - 1).equals("takeover done"), reported::toString);

        PlanRecord saved = new StateStore(dir.resolve("state")).load().orElseThrow();
        assertEquals(StepOutcome.OK, saved.outcome());
        assertEquals(stepNames(r), stepNames(saved));
    }

    @Test
    void runningTheTakeoverTwiceChangesNothingTheSecondTime() {
        plans().takeover("first", true);
        system.commands.clear();

        PlanRecord again = plans().takeover("second", true);

        assertEquals(StepOutcome.OK, again.outcome(), reported::toString);
        assertEquals(List.of(), system.ran("ip addr add"), "the address is up already");
        assertEquals(List.of(), system.ran("mount /dev"), "mounted already");
        assertEquals(List.of(), system.ran("e2fsck"), "no fsck of a mounted file system");
        assertEquals(List.of(), system.ran("svc start db"), "db's status says it runs");
        assertEquals(Set.of("192.0.2.50/24 dev eth0"), system.addresses);
    }

    @Test
    void fsckExitOneMeansCorrectedAndGoesOn() {
        system.fsckExit = 1;
        PlanRecord r = plans().takeover("peer dead", true);
        assertEquals(StepOutcome.OK, r.outcome());
        assertTrue(r.steps().get(2).detail().contains("errors corrected"), r.steps().toString());
    }

    @Test
    void failingFsckStopsThePlanBeforeAnyAddressOrService() {
        system.fsckExit = 4;
        PlanRecord r = plans().takeover("peer dead", true);

        assertEquals(StepOutcome.FAILED, r.outcome());
        assertTrue(r.error().startsWith("fsck: r0: fsck exit 4"), r.error());
        assertEquals(List.of("fence=ok", "promote=ok", "fsck=failed", "mount=not-run", "addresses=not-run",
                "services=not-run", "notify=not-run", "safe=ok", "notify-failure=ok"), stepNames(r));
        assertEquals(List.of(), system.ran("ip addr add"));
        assertEquals(List.of(), system.ran("svc start"));
        assertEquals(List.of(), system.ran("mount /dev"));
        assertTrue(system.addresses.isEmpty());
        int notify = system.commands.indexOf("notify admin@example.net");
        assertEquals("takeover-failed", system.environments.get(notify).get("MIRRORGATE_EVENT"));
        assertTrue(reported.get(reported.size() - 1).startsWith("takeover FAILED: fsck: r0"), reported::toString);
    }

    @Test
    void fsckTimeoutAlsoStopsThePlan() {
        FakeSystem slow = new FakeSystem() {
            @Override
            public synchronized Result run(List<String> argv, java.util.Map<String, String> env,
                    java.time.Duration timeout) {
                if (argv.get(0).equals("e2fsck")) {
                    return new Result(-1, "", "", true, timeout);
                }
                return super.run(argv, env, timeout);
            }
        };
        OrchestratorConfig config = TestConfigs.linux(dir);
        PlanRecord r = new Plans(config, slow, slow, new StateStore(config.stateDir()), reported::add,
                System::currentTimeMillis).takeover("peer dead", true);
        assertEquals(StepOutcome.FAILED, r.outcome());
        assertTrue(r.error().contains("timed out"), r.error());
        assertTrue(slow.addresses.isEmpty());
    }

    @Test
    void refusedPromotionWithoutForceSaysSo() {
        system.failOn("replicator -c /etc/r.toml role r0 primary", ReplicatorControl.REFUSED);
        PlanRecord r = plans().takeover("operator", false);
        assertEquals(StepOutcome.FAILED, r.outcome());
        assertTrue(r.error().contains("refused by the replicator") && r.error().contains("--force"), r.error());
        assertEquals(List.of(), system.ran("e2fsck"));
    }

    @Test
    void dryRunPrintsEveryChangeAndChangesNothing() {
        StringWriter printed = new StringWriter();
        OrchestratorConfig config = TestConfigs.linux(dir);
        Plans dry = new Plans(config, new DryRunRunner(new PrintWriter(printed, true)), system, StateStore.none(),
                reported::add, System::currentTimeMillis);

        PlanRecord r = dry.takeover("dry run", true);

        assertEquals(StepOutcome.OK, r.outcome(), reported::toString);
        String out = printed.toString();
        for (String expected : List.of("would run: replicator -c /etc/r.toml fence r0",
                "would run: replicator -c /etc/r.toml role r0 primary --force", "would run: e2fsck -p -f /dev/nbd0",
                "would run: mount /dev/nbd0 /srv/r0", "would run: ip addr add 192.0.2.50/24 dev eth0",
                "would run: arping -U -c 3 -I eth0 192.0.2.50", "would run: svc start db",
                "would run: svc start web", "would run: notify admin@example.net")) {
            assertTrue(out.contains(expected + "\n"), expected + " in:\n" + out);
        }
        assertTrue(system.addresses.isEmpty() && system.mounts.isEmpty() && system.running.isEmpty()
                && system.roles.isEmpty(), "nothing changed");
        system.commands.forEach(c -> assertTrue(c.startsWith("ip -o addr show") || c.equals("mount")
                || c.startsWith("svc status"), "only queries ran for real: " + c));
        assertFalse(Files.exists(dir.resolve("state")), "no state written");
    }

    @Test
    void aTakeoverInterruptedByACrashIsCompletedByTheNextRun() {
        system.crashOn("ip addr add");
        assertThrows(FakeSystem.Crash.class, () -> plans().takeover("peer dead", true));
        PlanRecord crashed = new StateStore(dir.resolve("state")).load().orElseThrow();
        assertTrue(crashed.interrupted());
        assertEquals("addresses=running", stepNames(crashed).get(4));
        system.commands.clear();

        PlanRecord resumed = plans().resumeInterrupted().orElseThrow();

        assertEquals("takeover", resumed.plan());
        assertTrue(resumed.reason().startsWith("resumed after an interruption: peer dead"), resumed.reason());
        assertEquals(StepOutcome.OK, resumed.outcome(), reported::toString);
        assertEquals(List.of(), system.ran("e2fsck"), "mounted already: no second fsck");
        assertEquals(List.of("ip addr add 192.0.2.50/24 dev eth0"), system.ran("ip addr add"));
        assertEquals(List.of("replicator -c /etc/r.toml role r0 primary --force"), system.ran("replicator -c /etc/r.toml role"));
        assertEquals(Set.of("db", "web"), system.running);
        assertTrue(plans().resumeInterrupted().isEmpty(), "nothing left to resume");
    }

    @Test
    void notifyIsNotRepeatedWhenAFinishedPlanIsResumed() {
        system.crashOn("svc start web");
        assertThrows(FakeSystem.Crash.class, () -> plans().takeover("peer dead", true));
        system.commands.clear();
        plans().resumeInterrupted().orElseThrow();
        assertEquals(List.of(), system.ran("svc start db"));
        assertEquals(List.of("svc start web"), system.ran("svc start"));
        assertEquals(1, system.ran("notify").size());
    }

    @Test
    void demoteIsTheReverse() {
        plans().takeover("peer dead", true);
        system.commands.clear();

        PlanRecord r = plans().demote("operator");

        assertEquals(StepOutcome.OK, r.outcome(), reported::toString);
        assertEquals(List.of("stop-services=ok", "drop-addresses=ok", "unmount=ok", "secondary=ok", "notify=ok"),
                stepNames(r));
        List<String> changes = new ArrayList<>(system.commands);
        changes.removeIf(c -> c.startsWith("ip -o") || c.equals("mount") || c.startsWith("svc status"));
        assertEquals(List.of("svc stop web", "svc stop db", "ip addr del 192.0.2.50/24 dev eth0", "umount /srv/r0",
                "replicator -c /etc/r.toml role r0 secondary", "notify admin@example.net"), changes);
        assertTrue(system.addresses.isEmpty() && system.mounts.isEmpty() && system.running.isEmpty());
        assertEquals("secondary", system.roles.get("r0"));

        system.commands.clear();
        assertEquals(StepOutcome.OK, plans().demote("again").outcome());
        assertEquals(List.of(), system.ran("ip addr del"));
        assertEquals(List.of(), system.ran("umount"));
    }

    @Test
    void replicatorNotRunningFailsTheFenceStep() {
        system.replicatorExit = ReplicatorControl.NOT_RUNNING;
        PlanRecord r = plans().takeover("peer dead", true);
        assertEquals(StepOutcome.FAILED, r.outcome());
        assertTrue(r.error().startsWith("fence: replicator fence r0: the replicator is not running"), r.error());
        assertEquals(List.of(), system.ran("e2fsck"));
    }
}
