package io.mirrorgate.client.endtoend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code --help} and {@code --version} of ggate-server and ggate-client and their subcommands. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HelpAndVersionEndToEndTest {

    @Test
    void ggateServerHelpNamesItsOptionsSubcommandsAndExitCodes() {
        InProcessCli help = InProcessCli.server("--help").assertSuccess();
        for (String expected : new String[] {"Usage: ggate-server", "--exports", "--listen",
            "--nbd-listen", "--key", "--state-dir", "keygen", "check", "Exit codes"}) {
            assertTrue(help.out().contains(expected), () -> expected + " missing in:\n" + help.out());
        }
        assertEquals("", help.err());
        InProcessCli keygen = InProcessCli.server("keygen", "--help").assertSuccess();
        assertTrue(keygen.out().contains("Usage: ggate-server keygen"), keygen.out());
    }

    @Test
    void ggateClientHelpNamesItsSubcommandsAndAttachNamesItsOptions() {
        InProcessCli help = InProcessCli.client("--help").assertSuccess();
        for (String expected : new String[] {"Usage: ggate-client", "attach", "list", "detach",
            "rescue", "--run-dir", "Exit codes"}) {
            assertTrue(help.out().contains(expected), () -> expected + " missing in:\n" + help.out());
        }
        InProcessCli attach = InProcessCli.client("attach", "--help").assertSuccess();
        for (String expected : new String[] {"Usage: ggate-client attach", "HOST[:PORT]", "PATH",
            "--key", "--access", "--queue", "--timeout", "--nbd-listen"}) {
            assertTrue(attach.out().contains(expected), () -> expected + " missing in:\n" + attach.out());
        }
        for (String sub : new String[] {"list", "detach", "rescue"}) {
            InProcessCli h = InProcessCli.client(sub, "--help").assertSuccess();
            assertTrue(h.out().contains("Usage: ggate-client " + sub), h.out());
        }
    }

    @Test
    void bothProgramsPrintTheirNameAndVersion() {
        InProcessCli server = InProcessCli.server("--version").assertSuccess();
        assertTrue(server.out().matches("ggate-server \\d+\\.\\d+\\.\\d+ \\(Mirrorgate, Java .+\\)\\R"),
                server.out());
        InProcessCli client = InProcessCli.client("--version").assertSuccess();
        assertTrue(client.out().matches("ggate-client \\d+\\.\\d+\\.\\d+ \\(Mirrorgate, Java .+\\)\\R"),
                client.out());
        for (String sub : new String[] {"attach", "list", "detach", "rescue"}) {
            InProcessCli v = InProcessCli.client(sub, "--version").assertSuccess();
            assertTrue(v.out().startsWith("ggate-client " + sub + " 0.1.0"),
                    () -> sub + " --version: '" + v.out() + "'");
        }
    }

    @Test
    void anUnknownOptionIsAUsageErrorWithExit64AndAReason() {
        InProcessCli server = InProcessCli.server("--no-such-option");
        assertEquals(64, server.exitCode(), server::toString);
        assertTrue(server.err().contains("Unknown option: '--no-such-option'"), server.err());
        InProcessCli client = InProcessCli.client("attach", "--no-such-option", "h", "/p");
        assertEquals(64, client.exitCode(), client::toString);
        assertTrue(client.err().contains("Unknown option: '--no-such-option'"), client.err());
        InProcessCli missing = InProcessCli.client("detach");
        assertEquals(64, missing.exitCode(), missing::toString);
    }
}
