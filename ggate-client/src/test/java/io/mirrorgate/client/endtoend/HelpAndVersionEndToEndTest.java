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
        ClientCli help = ClientCli.server("--help").assertSuccess();
        for (String expected : new String[] {"Usage: ggate-server", "--exports", "--listen",
            "--nbd-listen", "--key", "--state-dir", "keygen", "check", "Exit codes"}) {
            assertTrue(help.out().contains(expected), () -> expected + " missing in:\n" + help.out());
        }
        assertEquals("", help.err());
        ClientCli keygen = ClientCli.server("keygen", "--help").assertSuccess();
        assertTrue(keygen.out().contains("Usage: ggate-server keygen"), keygen.out());
    }

    @Test
    void ggateClientHelpNamesItsSubcommandsAndAttachNamesItsOptions() {
        ClientCli help = ClientCli.client("--help").assertSuccess();
        for (String expected : new String[] {"Usage: ggate-client", "attach", "list", "detach",
            "rescue", "--run-dir", "Exit codes"}) {
            assertTrue(help.out().contains(expected), () -> expected + " missing in:\n" + help.out());
        }
        ClientCli attach = ClientCli.client("attach", "--help").assertSuccess();
        for (String expected : new String[] {"Usage: ggate-client attach", "HOST[:PORT]", "PATH",
            "--key", "--access", "--queue", "--timeout", "--nbd-listen"}) {
            assertTrue(attach.out().contains(expected), () -> expected + " missing in:\n" + attach.out());
        }
        for (String sub : new String[] {"list", "detach", "rescue"}) {
            ClientCli h = ClientCli.client(sub, "--help").assertSuccess();
            assertTrue(h.out().contains("Usage: ggate-client " + sub), h.out());
        }
    }

    @Test
    void bothProgramsPrintTheirNameAndVersion() {
        ClientCli server = ClientCli.server("--version").assertSuccess();
        assertTrue(server.out().matches("ggate-server \\d+\\.\\d+\\.\\d+ \\(Mirrorgate, Java .+\\)\\R"),
                server.out());
        ClientCli client = ClientCli.client("--version").assertSuccess();
        assertTrue(client.out().matches("ggate-client \\d+\\.\\d+\\.\\d+ \\(Mirrorgate, Java .+\\)\\R"),
                client.out());
        for (String sub : new String[] {"attach", "list", "detach", "rescue"}) {
            ClientCli v = ClientCli.client(sub, "--version").assertSuccess();
            assertTrue(v.out().startsWith("ggate-client " + sub + " 0.1.0"),
                    () -> sub + " --version: '" + v.out() + "'");
        }
    }

    @Test
    void anUnknownOptionIsAUsageErrorWithExit64AndAReason() {
        ClientCli server = ClientCli.server("--no-such-option");
        assertEquals(64, server.exitCode(), server::toString);
        assertTrue(server.err().contains("Unknown option: '--no-such-option'"), server.err());
        ClientCli client = ClientCli.client("attach", "--no-such-option", "h", "/p");
        assertEquals(64, client.exitCode(), client::toString);
        assertTrue(client.err().contains("Unknown option: '--no-such-option'"), client.err());
        ClientCli missing = ClientCli.client("detach");
        assertEquals(64, missing.exitCode(), missing::toString);
    }
}
