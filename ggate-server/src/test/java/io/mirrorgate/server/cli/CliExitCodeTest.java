package io.mirrorgate.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.common.cli.Cli;
import io.mirrorgate.common.cli.ExitCodes;
import io.mirrorgate.common.net.HostPort;
import org.junit.jupiter.api.Test;

/** Exit 64 means the caller typed something wrong; a program's own IllegalArgumentException is not that. */
class CliExitCodeTest {
    @Test
    void onlyUsageErrorsExit64() {
        assertEquals(ExitCodes.USAGE, Cli.exitCode(new Cli.UsageException("--queue must be at least 1")));
        assertEquals(ExitCodes.FAILURE, Cli.exitCode(new IllegalArgumentException("no value for placeholder {x}")));
    }

    @Test
    void anOptionValueThatDoesNotParseIsAUsageErrorWithTheParsersReason() {
        Cli.UsageException e = assertThrows(Cli.UsageException.class,
                () -> Cli.option(() -> HostPort.parse("backup:http", 3080)));
        assertTrue(e.getMessage().contains("backup:http"), e.getMessage());
        assertEquals(ExitCodes.USAGE, Cli.exitCode(e));
    }

    @Test
    void aBadListenAddressExits64WithAOneLineReason() {
        GgateServerCliTest.Result r = GgateServerCliTest.run("-l", "nowhere:notaport", "--nbd-listen", "off");
        assertEquals(ExitCodes.USAGE, r.code(), r.err());
        assertTrue(r.err().startsWith("ggate-server: ") && r.err().contains("nowhere:notaport"), r.err());
        r.assertNoJavaNames();
    }
}
