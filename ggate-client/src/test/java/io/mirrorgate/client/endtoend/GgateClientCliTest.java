package io.mirrorgate.client.endtoend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.client.attach.Attachment;
import io.mirrorgate.client.control.RunDirectory;
import io.mirrorgate.client.remote.RemoteDeviceOptions;
import io.mirrorgate.common.cli.ExitCodes;
import io.mirrorgate.common.cli.Keys;
import io.mirrorgate.server.daemon.GgateDaemon;
import io.mirrorgate.server.device.LocalDeviceOptions;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.SingleExportResolver;
import io.mirrorgate.server.nbd.NbdServer;
import io.mirrorgate.server.protocol.GgateProtocol;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import io.mirrorgate.common.net.HostPort;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ggate-client}'s command lines as an operator types them, in this JVM against an
 * in-process ggate-server: exit codes, and messages that name the address or export and say
 * what to do.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GgateClientCliTest {
    @TempDir
    Path dir;

    private final List<AutoCloseable> opened = new ArrayList<>();
    private Path key;
    private Path run;

    @BeforeEach
    void setUp() throws Exception {
        key = dir.resolve("key");
        Keys.generate(key, false);
        run = dir.resolve("run");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = opened.size() - 1; i >= 0; i--) {
            opened.get(i).close();
        }
    }

    private Path image(String name) throws Exception {
        Path image = dir.resolve(name);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(1 << 20);
        }
        return image;
    }

    private GgateDaemon server(String... exportLines) throws Exception {
        Path exports = Files.write(dir.resolve("exports"), List.of(exportLines));
        GgateDaemon daemon = GgateDaemon.start(new GgateDaemon.Settings(exports, HostPort.parse("127.0.0.1:0", 0),
                null, key, dir.resolve("state"), LocalDeviceOptions.defaults(),
                GgateProtocol.DEFAULT_MAX_REQUEST_SIZE));
        opened.add(daemon);
        return daemon;
    }

    private static void assertNoJavaNames(InProcessCli r) {
        assertFalse(r.err().contains("java.") || r.err().contains("Exception") || r.err().contains("(..)"),
                "a Java class or native call name in: " + r.err());
    }

    @Test
    void noCommandExits64WithTheUsage() {
        InProcessCli r = InProcessCli.client();
        assertEquals(ExitCodes.USAGE, r.exitCode());
        assertTrue(r.err().startsWith("ggate-client: a command is required (expected: one of attach, list,"
                + " detach, rescue)"), r.err());
        assertTrue(r.err().contains("Usage: ggate-client"), r.err());
    }

    @Test
    void helpShowsEveryCommandWithAWholeSentence() {
        InProcessCli help = InProcessCli.client("--help").assertSuccess();
        assertTrue(help.out().contains("  rescue  Reconnect attachment ID to its server now.\n"), help.out());
        assertTrue(help.out().contains("  attach  Attach a remote export and serve it on a local NBD endpoint.\n"),
                help.out());
    }

    @Test
    void attachingToAnNbdPortSaysItIsAnNbdServer() throws Exception {
        NbdServer nbd = NbdServer.start(new SingleExportResolver("disk", new MemoryBlockDevice(1 << 20),
                Access.RW), "127.0.0.1", 0);
        opened.add(nbd);
        String address = "127.0.0.1:" + nbd.port();
        InProcessCli r = InProcessCli.client("--run-dir", run.toString(), "attach", "-k", key.toString(),
                address, "disk");
        assertEquals(ExitCodes.DATA_ERROR, r.exitCode(), r.err());
        assertEquals("ggate-client: " + address + " is an NBD server, not a ggate-server (expected: the ggate"
                + " port, 3080 by default; for NBD use an NBD client, e.g. nbdinfo nbd://" + address
                + "/NAME)\n", r.err());
    }

    @Test
    void aReadWriteAttachOfAReadOnlyExportSuggestsDashORo() throws Exception {
        Path image = image("ro.img");
        GgateDaemon server = server("127.0.0.1 RO " + image);
        InProcessCli r = InProcessCli.client("--run-dir", run.toString(), "attach", "-k", key.toString(),
                "127.0.0.1:" + server.ggateAddress().getPort(), image.toString());
        assertEquals(ExitCodes.NO_PERMISSION, r.exitCode(), r.err());
        assertTrue(r.err().contains("export " + image + " is RO for this client, RW was requested"), r.err());
        assertTrue(r.err().strip().endsWith("(the export is read-only: attach it with -o ro)"), r.err());
    }

    @Test
    void anUnreachableServerExits69WithoutNativeCallNames() throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        InProcessCli r = InProcessCli.client("--run-dir", run.toString(), "attach", "-k", key.toString(),
                "127.0.0.1:" + closed, "/x.img");
        assertEquals(ExitCodes.UNAVAILABLE, r.exitCode(), r.err());
        assertEquals("ggate-client: cannot connect to 127.0.0.1:" + closed + ": connection refused"
                + " (expected: a ggate-server listening there)\n", r.err());
        assertNoJavaNames(r);
    }

    @Test
    void listAlignsLongPathsAndItsJsonCarriesNoOkFlag() throws Exception {
        Path longDir = Files.createDirectories(dir.resolve("a-rather-long-directory-name/with/more/levels"));
        Path longImage = Files.move(image("l.img"), longDir.resolve("a-long-image-name-for-the-table.img"));
        GgateDaemon server = server("127.0.0.1 RW " + longImage + " disk");
        int port = server.ggateAddress().getPort();
        // one attachment per process may use a run directory (a file lock): one here
        opened.add(Attachment.start(RemoteDeviceOptions.builder("127.0.0.1", port, longImage.toString(),
                Keys.read(key)).build(), HostPort.parse("127.0.0.1:0", 0), new RunDirectory(run)));
        InProcessCli list = InProcessCli.client("--run-dir", run.toString(), "list").assertSuccess();
        List<String> lines = list.out().lines().toList();
        assertEquals(2, lines.size(), list.out());
        String header = lines.get(0);
        String row = lines.get(1);
        for (String column : List.of("STATE", "SERVER", "PATH", "ENDPOINT")) {
            int at = header.indexOf(column);
            assertEquals(' ', row.charAt(at - 1), column + " misaligned:\n" + list.out());
            assertTrue(row.charAt(at) != ' ', column + " misaligned:\n" + list.out());
        }
        assertEquals(header.indexOf("PATH"), row.indexOf(longImage.toString()), list.out());
        assertEquals(header.length(), row.length(), "numbers right-aligned:\n" + list.out());

        JsonNode json = InProcessCli.client("--run-dir", run.toString(), "list", "--json").assertSuccess().json();
        assertEquals(1, json.size());
        assertFalse(json.get(0).has("ok"), json.toString());
        assertEquals("connected", json.get(0).path("state").asText());
    }

    @Test
    void anExportNamedByItsNbdNameHasASlashInItsUri() {
        RemoteDeviceOptions byName = RemoteDeviceOptions.builder("127.0.0.1", 33080, "disk", new byte[16]).build();
        assertEquals("ggate://127.0.0.1:33080/disk", byName.uri());
        RemoteDeviceOptions byPath = RemoteDeviceOptions.builder("backup", 3080, "/srv/disk.img", new byte[16])
                .build();
        assertEquals("ggate://backup:3080/srv/disk.img", byPath.uri());
    }
}
