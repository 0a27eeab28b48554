package io.mirrorgate.orchestrator.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.client.cli.GgateClientMain;
import io.mirrorgate.orchestrator.cli.OrchestratorMain;
import io.mirrorgate.replicator.cli.ReplicatorMain;
import io.mirrorgate.server.cli.GgateServerMain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The {@code --help} of every program: the list of commands shows only the first line of each
 * command's description, so that line must be a whole sentence, never cut mid-way; and a
 * program that is only its commands (ggate-client, replicator) given none says so and exits 64
 * (ggate-server without a command is the server).
 */
class HelpTextTest {
    private static List<CommandLine> programs() {
        PrintWriter out = new PrintWriter(new StringWriter());
        return List.of(GgateServerMain.newCommandLine(out, out), GgateClientMain.newCommandLine(out, out),
                ReplicatorMain.newCommandLine(out, out), OrchestratorMain.newCommandLine(out, out));
    }

    @Test
    void everyCommandsFirstDescriptionLineIsAWholeSentence() {
        List<String> cut = new ArrayList<>();
        for (CommandLine program : programs()) {
            for (CommandLine sub : program.getSubcommands().values()) {
                String[] description = sub.getCommandSpec().usageMessage().description();
                String first = description.length > 0 ? description[0].strip() : "";
                if (!first.endsWith(".")) {
                    cut.add(program.getCommandName() + " " + sub.getCommandName() + ": \"" + first + "\"");
                }
            }
        }
        assertEquals(List.of(), cut, "first description lines that are not a whole sentence");
    }

    @Test
    void aProgramWithCommandsGivenNoneExits64SayingSo() {
        PrintWriter out = new PrintWriter(new StringWriter());
        for (CommandLine program : List.of(GgateClientMain.newCommandLine(out, out),
                ReplicatorMain.newCommandLine(out, out))) {
            StringWriter err = new StringWriter();
            program.setErr(new PrintWriter(err, true));
            assertEquals(64, program.execute(), program.getCommandName());
            assertTrue(err.toString().startsWith(program.getCommandName() + ": a command is required"), err.toString());
        }
    }
}
