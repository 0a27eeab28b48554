package io.mirrorgate.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.common.cli.ExitCodes;
import io.mirrorgate.common.cli.Keys;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ggate-server}'s command lines as an operator types them, run in this JVM: the exit code
 * and a message that names the file or address and says what was expected.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GgateServerCliTest {
    @TempDir
    Path dir;

    record Result(int code, String out, String err) {
        void assertNoJavaNames() {
            for (String s : List.of(out, err)) {
                assertFalse(s.contains("java.") || s.contains("Exception") || s.contains("(..)"),
                        "a Java class or native call name in: " + s);
            }
        }
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code;
        try (PrintWriter o = new PrintWriter(out); PrintWriter e = new PrintWriter(err)) {
            code = GgateServerMain.newCommandLine(o, e).execute(args);
        }
        return new Result(code, out.toString(), err.toString());
    }

    private Path image(String name) throws Exception {
        Path image = dir.resolve(name);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(1 << 20);
        }
        return image;
    }

    private Path exports(String... lines) throws Exception {
        return Files.write(dir.resolve("exports"), List.of(lines));
    }

    private Path key() throws Exception {
        Path key = dir.resolve("key");
        Keys.generate(key, true);
        return key;
    }

    @Test
    void checkTakesItsOptionsAfterTheSubcommandAsTheReadmeWritesIt() throws Exception {
        Path image = image("disk.img");
        Path exports = exports("127.0.0.1 RW " + image + " disk");
        Path key = key();
        Result after = run("check", "-e", exports.toString(), "-k", key.toString());
        assertEquals(0, after.code(), after.err());
        assertTrue(after.out().contains(exports + ":1: 127.0.0.1 RW " + image + " (nbd name: disk)"), after.out());
        assertTrue(after.out().contains(key + ": 32 key bytes, ok"), after.out());
        assertTrue(after.out().endsWith(exports + ": 1 exports, ok\n"), after.out());
        Result before = run("-e", exports.toString(), "-k", key.toString(), "check");
        assertEquals(after, before);
    }

    @Test
    void checkRefusesAnExportPathThatDoesNotExist() throws Exception {
        Path image = image("disk.img");
        Path missing = dir.resolve("missing.img");
        Path exports = exports("# comment", "127.0.0.1 RW " + image, "*  RO " + missing);
        Result r = run("check", "-e", exports.toString(), "-k", key().toString());
        assertEquals(ExitCodes.NO_SUCH, r.code());
        assertEquals("ggate-server: " + exports + ":3: path " + missing
                + " does not exist (expected: a regular file or a block device)\n", r.err());
    }

    @Test
    void checkRefusesAKeyShorterThan16BytesAndSaysSo() throws Exception {
        Path exports = exports("127.0.0.1 RW " + image("disk.img"));
        Path key = Files.write(dir.resolve("short-key"), new byte[10]);
        Result r = run("check", "-e", exports.toString(), "-k", key.toString());
        assertEquals(ExitCodes.DATA_ERROR, r.code());
        assertTrue(r.err().startsWith("ggate-server: key file " + key
                + ": 10 bytes (expected: at least 16 bytes"), r.err());
    }

    @Test
    void keygenSaysWhatItWroteAndRefusesToOverwrite() throws Exception {
        Path key = dir.resolve("etc/key");
        Result r = run("keygen", key.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("wrote a new 32-byte key to " + key + " (mode 0600)"), r.out());
        assertEquals(32, Files.size(key));
        Result again = run("keygen", key.toString());
        assertEquals(ExitCodes.DATA_ERROR, again.code());
        assertTrue(again.err().contains(key + " exists (use --force"), again.err());
    }

    @Test
    void missingFilesExit66NamingTheFileWithoutJavaNames() throws Exception {
        Path missing = dir.resolve("no-exports");
        Result r = run("check", "-e", missing.toString(), "-k", key().toString());
        assertEquals(ExitCodes.NO_SUCH, r.code());
        assertEquals("ggate-server: " + missing + ": cannot read exports file: no such file\n", r.err());
        r.assertNoJavaNames();

        Path exports = exports("127.0.0.1 RW " + image("disk.img"));
        Path noKey = dir.resolve("no-key");
        Result k = run("check", "-e", exports.toString(), "-k", noKey.toString());
        assertEquals(ExitCodes.NO_SUCH, k.code());
        assertTrue(k.err().startsWith("ggate-server: cannot read key file " + noKey + ": no such file"
                + " (create one with: ggate-server keygen " + noKey + ")"), k.err());
        k.assertNoJavaNames();
    }

    @Test
    void aServerWhoseExportPathIsMissingExits66NamingIt() throws Exception {
        Path missing = dir.resolve("missing.img");
        Path exports = exports("127.0.0.1 RW " + missing);
        Result r = run("-e", exports.toString(), "-k", key().toString(), "-l", "127.0.0.1:0",
                "--nbd-listen", "off", "--state-dir", dir.resolve("state").toString());
        assertEquals(ExitCodes.NO_SUCH, r.code(), r.err());
        assertTrue(r.err().contains(missing.toString()), r.err());
        r.assertNoJavaNames();
    }

    @Test
    void aListenAddressInUseExits69NamingTheAddressAndTheListener() throws Exception {
        Path exports = exports("127.0.0.1 RW " + image("disk.img"));
        Path key = key();
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            Result ggate = run("-e", exports.toString(), "-k", key.toString(), "-l", address,
                    "--nbd-listen", "off", "--state-dir", dir.resolve("state").toString());
            assertEquals(ExitCodes.UNAVAILABLE, ggate.code(), ggate.err());
            assertEquals("ggate-server: cannot listen for ggate on " + address + ": address already in use"
                    + " (another program listens there; choose another address with -l)\n", ggate.err());
            ggate.assertNoJavaNames();

            Result nbd = run("-e", exports.toString(), "-k", key.toString(), "-l", "127.0.0.1:0",
                    "--nbd-listen", address, "--state-dir", dir.resolve("state").toString());
            assertEquals(ExitCodes.UNAVAILABLE, nbd.code(), nbd.err());
            assertEquals("ggate-server: cannot listen for NBD on " + address + ": address already in use"
                    + " (another program listens there; choose another address with --nbd-listen)\n",
                    nbd.err());
        }
        assertTrue(run("--help").out().contains("69 cannot listen"));
    }

    @Test
    void tlsAndLimitFlagsAreCheckedBeforeAnythingOpensAndSayWhatIsMissing() throws Exception {
        Path exports = exports("127.0.0.1 RW " + image("disk.img"));
        String key = key().toString();
        Result noFiles = run("-e", exports.toString(), "-k", key, "--tls", "require", "-l", "127.0.0.1:0",
                "--nbd-listen", "off");
        assertNotEquals(0, noFiles.code());
        assertTrue(noFiles.err().contains("--tls-cert, --tls-key and --tls-ca"), noFiles.err());
        Result halfFiles = run("-e", exports.toString(), "-k", key, "--tls-cert", "/x/cert.pem",
                "-l", "127.0.0.1:0", "--nbd-listen", "off");
        assertNotEquals(0, halfFiles.code());
        assertTrue(halfFiles.err().contains("--tls-key is missing"), halfFiles.err());
        Result badMode = run("-e", exports.toString(), "-k", key, "--tls", "maybe", "-l", "127.0.0.1:0");
        assertNotEquals(0, badMode.code());
        assertTrue(badMode.err().contains("tls: maybe (expected: off, allow or require)"), badMode.err());
        Result badTimeout = run("-e", exports.toString(), "-k", key, "--frame-timeout", "0",
                "-l", "127.0.0.1:0");
        assertNotEquals(0, badTimeout.code());
        assertTrue(badTimeout.err().contains("frame timeout: PT0S (expected: > 0)"), badTimeout.err());
        for (Result r : List.of(noFiles, halfFiles, badMode, badTimeout)) {
            r.assertNoJavaNames();
        }
    }
}
