package io.mirrorgate.orchestrator.demo;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How the demo starts a Mirrorgate program: from {@code bin/} as an operator would (the jars
 * built by {@code mvn package}), or, for the test that runs the demo in the build, with the
 * demo's own class path and main classes (no jar needed).
 */
interface Launcher {
    /** The command line of the Mirrorgate {@code program} (ggate-server, ..., fsck-orchestrator) with {@code args}. */
    List<String> command(String program, List<String> args);

    /** The command line of another main class of fsck-orchestrator's jar (the demo's own services). */
    List<String> main(String mainClass, List<String> args);

    /** The scripts of {@code home/bin}. */
    static Launcher scripts(Path home) {
        return new Launcher() {
            @Override
            public List<String> command(String program, List<String> args) {
                List<String> command = new ArrayList<>();
                command.add(home.resolve("bin").resolve(program).toString());
                command.addAll(args);
                return command;
            }

            @Override
            public List<String> main(String mainClass, List<String> args) {
                List<String> command = new ArrayList<>(List.of("env", "MIRRORGATE_MAIN=" + mainClass,
                        "MIRRORGATE_NO_BUILD=1", home.resolve("bin").resolve("mirrorgate-launch").toString(),
                        "fsck-orchestrator"));
                command.addAll(args);
                return command;
            }
        };
    }

    /** {@code java -cp CLASSPATH MAIN}, with this JVM's class path and module flags. */
    static Launcher classPath() {
        Map<String, String> mains = Map.of(
                "ggate-server", "io.mirrorgate.server.cli.GgateServerMain",
                "ggate-client", "io.mirrorgate.client.cli.GgateClientMain",
                "replicator", "io.mirrorgate.replicator.cli.ReplicatorMain",
                "fsck-orchestrator", "io.mirrorgate.orchestrator.cli.OrchestratorMain");
        return new Launcher() {
            @Override
            public List<String> command(String program, List<String> args) {
                String main = mains.get(program);
                if (main == null) {
                    throw new IllegalArgumentException("program: " + program + " (expected: one of "
                            + mains.keySet() + ")");
                }
                return main(main, args);
            }

            @Override
            public List<String> main(String mainClass, List<String> args) {
                return java(mainClass, args);
            }
        };
    }

    private static List<String> java(String main, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-opens") || arg.startsWith("--add-exports")) {
                command.add(arg);
            }
        }
        command.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), main));
        command.addAll(args);
        return command;
    }
}
