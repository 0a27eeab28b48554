package io.mirrorgate.server.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportsFileTest {
    private static final HostPattern.HostResolver HOSTS = host -> {
        if (host.equals("backup.example.org")) {
            return new InetAddress[] {InetAddress.getByName("172.16.5.9"),
                    InetAddress.getByName("fd00::9")};
        }
        throw new UnknownHostException(host + ": no such host");
    };

    private static InetAddress ip(String literal) throws UnknownHostException {
        return InetAddress.getByName(literal);
    }

    private static ExportsFile parse(String... lines) {
        return ExportsFile.parse("/etc/mirrorgate/exports", List.of(lines), HOSTS);
    }

    @Test
    void goodFileLoadsWithCommentsBlankLinesAndEveryHostForm(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("exports"), String.join("\n",
                "# the exports",
                "",
                "10.0.0.0/24                RW /dev/sdb disk0   # the disk",
                "192.168.0.0/255.255.255.0  RO /data/disk.img",
                "backup.example.org         WO /data/disk.img",
                "2001:db8::/32              rw /data/v6.img v6",
                "::1                        RO /data/v6.img",
                "*                          RO /srv/iso.img iso",
                "   "));
        ExportsFile exports = ExportsFile.load(file, HOSTS);

        assertEquals(6, exports.rules().size());
        assertEquals(List.of(new ExportSpec("/dev/sdb", false), new ExportSpec("/data/disk.img", false),
                new ExportSpec("/data/v6.img", false), new ExportSpec("/srv/iso.img", true)),
                exports.exports());
        assertEquals(Access.RW, exports.match("disk0", ip("10.0.0.77")).access());
        assertEquals(Access.RW, exports.match("/dev/sdb", ip("10.0.0.1")).access());
        assertEquals(Access.RO, exports.match("/data/disk.img", ip("192.168.0.200")).access());
        assertEquals(Access.WO, exports.match("/data/disk.img", ip("172.16.5.9")).access());
        assertEquals(Access.WO, exports.match("/data/disk.img", ip("fd00::9")).access());
        assertEquals(Access.RW, exports.match("v6", ip("2001:db8:1::5")).access());
        assertEquals(Access.RO, exports.match("v6", ip("::1")).access());
        assertEquals(Access.RO, exports.match("iso", ip("8.8.8.8")).access());
        assertEquals(Access.RO, exports.match("iso", ip("fe80::1")).access());
        assertEquals("/data/disk.img", exports.rules().get(1).name(), "the name defaults to the path");
        assertEquals(List.of("disk0", "iso"),
                exports.namesFor(ip("10.0.0.3")));
    }

    @Test
    void firstMatchingLineWins() throws Exception {
        ExportsFile exports = parse(
                "10.0.0.5      RO /data/disk.img",
                "10.0.0.0/24   RW /data/disk.img",
                "0.0.0.0/0     WO /data/disk.img");
        assertEquals(Access.RO, exports.match("/data/disk.img", ip("10.0.0.5")).access());
        assertEquals(Access.RW, exports.match("/data/disk.img", ip("10.0.0.6")).access());
        assertEquals(Access.WO, exports.match("/data/disk.img", ip("10.0.1.6")).access());
        assertEquals(new ExportSpec("/data/disk.img", false), exports.exports().get(0));
    }

    @Test
    void networkMasksCoverExactlyTheirRange() throws Exception {
        ExportsFile exports = parse(
                "192.168.4.0/255.255.252.0 RW /a",
                "10.1.2.3/16               RW /b",
                "fd00:1::/64               RW /c");
        assertTrue(exports.rules().get(0).admits(ip("192.168.7.255")));
        assertFalse(exports.rules().get(0).admits(ip("192.168.8.0")));
        assertFalse(exports.rules().get(0).admits(ip("192.168.3.255")));
        assertTrue(exports.rules().get(1).admits(ip("10.1.200.1")), "host bits are masked off");
        assertFalse(exports.rules().get(1).admits(ip("10.2.0.1")));
        assertTrue(exports.rules().get(2).admits(ip("fd00:1::ffff:1")));
        assertFalse(exports.rules().get(2).admits(ip("fd00:1:0:1::1")));
        assertFalse(exports.rules().get(2).admits(ip("10.1.0.1")), "an IPv6 rule never admits IPv4");
    }

    @Test
    void refusedHostGetsEaccesWithAReason() throws Exception {
        ExportsFile exports = parse("10.0.0.0/29 RW /data/disk.img");
        MirrorgateException e = assertThrows(MirrorgateException.class,
                () -> exports.match("/data/disk.img", ip("10.0.0.9")));
        assertEquals(ErrorCode.EACCES, e.code());
        assertEquals("host 10.0.0.9 is not allowed to use export /data/disk.img", e.getMessage());
        assertEquals("host 10.0.0.9 is not allowed to use /data/disk.img by /etc/mirrorgate/exports",
                io.mirrorgate.common.error.ClientRefusal.detailOf(e));
    }

    @Test
    void unknownExportGetsEnoent() throws Exception {
        ExportsFile exports = parse("* RW /data/disk.img");
        MirrorgateException e = assertThrows(MirrorgateException.class,
                () -> exports.match("/data/other.img", ip("10.0.0.9")));
        assertEquals(ErrorCode.ENOENT, e.code());
    }

    @Test
    void eachKindOfBadLineNamesFileLineAndExpectation() {
        assertBad("/etc/mirrorgate/exports:2: 2 fields (expected: host-or-network[/mask] RO|WO|RW path",
                "* RO /ok", "10.0.0.1 RW");
        assertBad("/etc/mirrorgate/exports:1: 5 fields", "* RO /a b c");
        assertBad("/etc/mirrorgate/exports:1: access: RX (expected: RO, WO or RW)", "* RX /a");
        assertBad("/etc/mirrorgate/exports:1: path: data/a (expected: an absolute path)", "* RO data/a");
        assertBad("/etc/mirrorgate/exports:1: prefix length: 10.0.0.0/33 (expected: 0 to 32)",
                "10.0.0.0/33 RO /a");
        assertBad("/etc/mirrorgate/exports:1: mask: 10.0.0.0/255.0.255.0 (expected: a prefix length"
                + " or a contiguous dotted mask", "10.0.0.0/255.0.255.0 RO /a");
        assertBad("/etc/mirrorgate/exports:1: address: 10.0.0.300", "10.0.0.300 RO /a");
        assertBad("/etc/mirrorgate/exports:1: network: nohost/24", "nohost/24 RO /a");
        assertBad("/etc/mirrorgate/exports:1: host: no_such!host", "no_such!host RO /a");
        assertBad("/etc/mirrorgate/exports:3: host: unknown.example cannot be resolved",
                "# comment", "", "unknown.example RO /a");
        assertBad("/etc/mirrorgate/exports:2: export name disk already names /a at line 1",
                "* RO /a disk", "* RO /b disk");
    }

    @Test
    void missingFileSaysWhichFile(@TempDir Path dir) {
        MirrorgateException e = assertThrows(MirrorgateException.class,
                () -> ExportsFile.load(dir.resolve("absent")));
        assertTrue(e.getMessage().startsWith(dir.resolve("absent") + ": cannot read exports file"),
                e.getMessage());
    }

    private static void assertBad(String expectedPrefix, String... lines) {
        MirrorgateException e = assertThrows(MirrorgateException.class, () -> parse(lines));
        assertEquals(ErrorCode.EINVAL, e.code());
        assertTrue(e.getMessage().startsWith(expectedPrefix), e.getMessage());
    }
}
