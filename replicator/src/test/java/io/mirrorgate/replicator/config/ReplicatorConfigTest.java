package io.mirrorgate.replicator.config;

import io.mirrorgate.common.config.ConfigValues;
import io.mirrorgate.common.config.ConfigException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.replicator.mirror.ReplicationMode;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.net.HostPort;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ReplicatorConfigTest {
    private static final String MINIMAL = "node = \"alpha\"\n[resource.r0]\nlocal = \"/data/r0.img\"\nremote = \"backup:3080\"\n";

    @Test
    void fullFileIsParsedWithEveryKey(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("replicator.toml");
        Files.writeString(file, String.join("\n",
                "node = \"alpha\"",
                "control = \"/run/mg/ctl.sock\"",
                "metrics = \"off\"",
                "[resource.r0]",
                "local = \"/var/lib/mirrorgate/r0.img\"",
                "metadata = \"/var/lib/mirrorgate/r0.meta\"",
                "role = \"primary\"",
                "remote = \"backup:3080\"",
                "remote_path = \"/srv/r0.img\"",
                "key_file = \"/etc/mirrorgate/key\"",
                "mode = \"memsync\"",
                "async_backlog = \"128M\"",
                "region_size = \"1MiB\"",
                "activity_regions = 128",
                "compression = false",
                "timeout = \"1500ms\"",
                "resync_rate = \"50MiB/s\"",
                "nbd_listen = \"127.0.0.1:10810\"",
                "split_brain = \"discard-secondary\"",
                "[resource.r1]",
                "local = \"/dev/sdb\"",
                "remote = \"[fd00::2]:3080\"",
                "resync_rate = \"unlimited\"",
                ""));
        ReplicatorConfig config = ReplicatorConfig.load(file);
        assertEquals("alpha", config.node());
        assertEquals(Path.of("/run/mg/ctl.sock"), config.control());
        assertEquals(Optional.empty(), config.metrics());
        assertEquals(List.of("r0", "r1"), List.copyOf(config.resources().keySet()));
        ResourceConfig r0 = config.resource("r0");
        assertEquals("alpha", r0.node());
        assertEquals(Path.of("/var/lib/mirrorgate/r0.img"), r0.local());
        assertEquals(Path.of("/var/lib/mirrorgate/r0.meta"), r0.metadata());
        assertEquals(Role.PRIMARY, r0.role());
        assertEquals(new HostPort("backup", 3080), r0.remote());
        assertEquals("/srv/r0.img", r0.remotePath());
        assertEquals(ReplicationMode.MEMSYNC, r0.mode());
        assertEquals(128L << 20, r0.asyncBacklog());
        assertEquals(1L << 20, r0.regionSize());
        assertEquals(128, r0.activityRegions());
        assertFalse(r0.compression());
        assertEquals(Duration.ofMillis(1500), r0.timeout());
        assertEquals(OptionalLong.of(50L << 20), r0.resyncRate());
        assertEquals(Optional.of(new HostPort("127.0.0.1", 10810)), r0.nbdListen());
        assertEquals(SplitBrainPolicy.DISCARD_SECONDARY, r0.splitBrain());
        ResourceConfig r1 = config.resource("r1");
        assertEquals(new HostPort("fd00::2", 3080), r1.remote());
        assertEquals("[fd00::2]:3080", r1.remote().toString());
        assertEquals(OptionalLong.empty(), r1.resyncRate());
        assertEquals(file.toString(), r1.source());
    }

    @Test
    void omittedKeysTakeTheirDefaults() {
        ReplicatorConfig config = ReplicatorConfig.parse(MINIMAL, "test.toml");
        assertEquals(Path.of("/run/mirrorgate/replicator.sock"), config.control());
        assertEquals(Optional.of(new HostPort("127.0.0.1", 9380)), config.metrics());
        ResourceConfig r = config.resource("r0");
        assertEquals(Path.of("/data/r0.img.mgmeta"), r.metadata());
        assertEquals(Role.SECONDARY, r.role());
        assertEquals("/data/r0.img", r.remotePath());
        assertEquals(Path.of("/etc/mirrorgate/key"), r.keyFile());
        assertEquals(ReplicationMode.FULLSYNC, r.mode());
        assertEquals(64L << 20, r.asyncBacklog());
        assertEquals(4L << 20, r.regionSize());
        assertEquals(64, r.activityRegions());
        assertTrue(r.compression());
        assertEquals(Duration.ofSeconds(10), r.timeout());
        assertEquals(OptionalLong.of(100L << 20), r.resyncRate());
        assertEquals(Optional.empty(), r.nbdListen());
        assertEquals(SplitBrainPolicy.REFUSE, r.splitBrain());
        assertEquals(io.mirrorgate.server.tls.TlsMode.OFF, r.tls());
        assertEquals(null, r.tlsFiles());
    }

    @Test
    void tlsKeysNameTheCertificateFilesAndTheirPresenceRequiresTls() {
        ResourceConfig r = ReplicatorConfig.parse(MINIMAL + "tls_cert = \"/pki/alpha.pem\"\n"
                + "tls_key = \"/pki/alpha.key\"\ntls_ca = \"/pki/ca.pem\"\n", "t.toml").resource("r0");
        assertEquals(io.mirrorgate.server.tls.TlsMode.REQUIRE, r.tls());
        assertEquals(new io.mirrorgate.server.tls.TlsFiles(Path.of("/pki/alpha.pem"),
                Path.of("/pki/alpha.key"), Path.of("/pki/ca.pem")), r.tlsFiles());
    }

    @Test
    void nodeDefaultsToTheHostName() {
        ReplicatorConfig config = ReplicatorConfig.parse(MINIMAL.replace("node = \"alpha\"\n", ""), "t");
        assertFalse(config.node().isEmpty());
        assertEquals(config.node(), config.resource("r0").node());
    }

    @Test
    void sizesAcceptBinaryUnitsAndBareBytes() {
        assertEquals(4096L, ConfigValues.size("4096"));
        assertEquals(4096L, ConfigValues.size("4KiB"));
        assertEquals(4096L, ConfigValues.size("4k"));
        assertEquals(4096L, ConfigValues.size("4K"));
        assertEquals(3L << 20, ConfigValues.size("3M"));
        assertEquals(2L << 30, ConfigValues.size("2 GiB"));
        assertEquals(1L << 40, ConfigValues.size("1T"));
        assertEquals(null, ConfigValues.size("4 MB"));
        assertEquals(null, ConfigValues.size("-1"));
        assertEquals(null, ConfigValues.size("99999999999T"));
        assertEquals(Duration.ofMinutes(2), ConfigValues.duration("2m"));
        assertEquals(null, ConfigValues.duration("10"));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
        "region_size|\"3MiB\"|key region_size: 3MiB is not a power of two (expected: a power of two from 4KiB to 1GiB",
        "region_size|\"2KiB\"|key region_size: \"2KiB\" is out of range (expected: from 4KiB to 1GiB)",
        "region_size|\"4 MB\"|key region_size: \"4 MB\" is not a size (expected: a size such as",
        "async_backlog|true|key async_backlog: true is not a size",
        "activity_regions|0|key activity_regions: 0 is out of range (expected: an integer from 1 to 65536)",
        "activity_regions|\"64\"|key activity_regions: \"64\" is not an integer",
        "timeout|\"10\"|key timeout: \"10\" is not a duration (expected: a duration such as",
        "timeout|\"2h\"|key timeout: \"2h\" is out of range (expected: from 100ms to 3600s)",
        "mode|\"sync\"|key mode: \"sync\" is not a valid choice (expected: fullsync | memsync | async)",
        "role|\"master\"|key role: \"master\" is not a valid choice (expected: primary | secondary)",
        "split_brain|\"discard\"|key split_brain: \"discard\" is not a valid choice (expected: refuse | discard-secondary)",
        "compression|\"yes\"|key compression: \"yes\" is not a boolean (expected: true or false)",
        "nbd_listen|\"localhost\"|key nbd_listen: \"localhost\" is not an endpoint (expected: host:port",
        "nbd_listen|\"h:70000\"|key nbd_listen: \"h:70000\" is not an endpoint",
        "resync_rate|\"fast\"|key resync_rate: \"fast\" is not a size",
        "resync_rate|\"1KiB/s\"|key resync_rate: \"1KiB/s\" is not a rate (expected: at least 64KiB per second",
        "metadata|\"relative/meta\"|key metadata: \"relative/meta\" is not an absolute path (expected: a path starting with /)",
        "metadata|\"/data/r0.img\"|key metadata: \"/data/r0.img\" is the local replica itself",
        "remote_path|\"\"|key remote_path: empty",
        "key_file|42|key key_file: 42 is not a string",
        "listen|\"7790\"|key listen: \"7790\" is not an endpoint (expected: host:port",
        "after_fenced|\"shutdown\"|key after_fenced: \"shutdown\" is not a valid choice (expected: stay | become-secondary)",
        "tls|\"require\"|key tls: require without certificates (expected: tls_cert, tls_key and tls_ca)",
        "tls|\"allow\"|key tls: \"allow\" (expected: off or require",
        "tls|\"on\"|key tls: \"on\" is not a valid choice (expected: off | allow | require)",
        "tls_cert|\"/pki/a.pem\"|key tls_key: missing",
    })
    void badValueIsRejectedNamingFileResourceAndKey(String key, String value, String expected) {
        String text = MINIMAL + key + " = " + value + "\n";
        ConfigException e = assertThrows(ConfigException.class, () -> ReplicatorConfig.parse(text, "/etc/r.toml"));
        assertEquals(ErrorCode.EINVAL, e.code());
        assertTrue(e.getMessage().startsWith("/etc/r.toml: resource r0: " + expected), e.getMessage());
    }

    @Test
    void unknownKeyIsAnErrorListingTheKnownOnes() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ReplicatorConfig.parse(MINIMAL + "regoin_size = \"4MiB\"\n", "c.toml"));
        assertTrue(e.getMessage().startsWith("c.toml: resource r0: key regoin_size: unknown key (expected one of: local, "),
                e.getMessage());
        assertTrue(e.getMessage().contains("region_size"), e.getMessage());
        ConfigException top = assertThrows(ConfigException.class,
                () -> ReplicatorConfig.parse("nodes = \"a\"\n" + MINIMAL, "c.toml"));
        assertTrue(top.getMessage().startsWith("c.toml: key nodes: unknown key (expected one of: node, control, metrics, resource)"),
                top.getMessage());
    }

    @Test
    void missingRequiredKeysAndTablesAreNamed() {
        assertMessage("t: resource r0: key remote: missing (expected: a string)",
                "[resource.r0]\nlocal = \"/a\"\n");
        assertMessage("t: resource r0: key local: missing (expected: a string)",
                "[resource.r0]\nremote = \"b:1\"\n");
        assertMessage("t: no resource defined (expected: at least one [resource.NAME] table with local and remote)",
                "node = \"a\"\n");
        assertMessage("t: resource r0: key remote: \"b:0\" is not an endpoint (expected: host:port with port 1..65535",
                "[resource.r0]\nlocal = \"/a\"\nremote = \"b:0\"\n");
        assertMessage("t: key node: \"bad name!\" is not a valid node name", "node = \"bad name!\"\n" + MINIMAL.substring(15));
        assertMessage("t: resource \"r 0\": not a valid resource name", "[resource.\"r 0\"]\nlocal = \"/a\"\n");
        assertMessage("t: line 2: not valid TOML", "node = \"a\"\n[resource.r0\n");
        assertMessage("t: no resource \"r9\" (configured: r0)", null);
    }

    @Test
    void twoResourcesMayNotShareAReplicaOrMetadata() {
        assertMessage("t: resource r1: key local: \"/data/r0.img\" is already used by resource r0 local",
                MINIMAL + "[resource.r1]\nlocal = \"/data/r0.img\"\nremote = \"b:1\"\n");
        assertMessage("t: resource r1: key metadata: \"/data/r0.img.mgmeta\" is already used by resource r0 metadata",
                MINIMAL + "[resource.r1]\nlocal = \"/data/r1.img\"\nmetadata = \"/data/r0.img.mgmeta\"\nremote = \"b:1\"\n");
    }

    @Test
    void theRoleKeysHaveTheirDefaultsAndTwoResourcesMayNotShareAListenAddress() {
        ResourceConfig r = ReplicatorConfig.parse(MINIMAL, "t").resource("r0");
        assertTrue(r.listen().isEmpty(), "listen is off by default");
        assertEquals(AfterFenced.STAY, r.afterFenced());
        ResourceConfig set = ReplicatorConfig.parse(MINIMAL + "listen = \"0.0.0.0:7790\"\n"
                + "after_fenced = \"become-secondary\"\n", "t").resource("r0");
        assertEquals(7790, set.listen().get().port());
        assertEquals(AfterFenced.BECOME_SECONDARY, set.afterFenced());
        assertMessage("t: resource r1: key listen: \"0.0.0.0:7790\" is already used by resource r0 listen",
                MINIMAL + "listen = \"0.0.0.0:7790\"\n[resource.r1]\nlocal = \"/data/r1.img\"\nremote = \"b:1\"\n"
                        + "listen = \"0.0.0.0:7790\"\n");
    }

    @Test
    void missingFileIsNamedAndIsENOENT(@TempDir Path dir) {
        Path missing = dir.resolve("none.toml");
        io.mirrorgate.common.error.MirrorgateException e = assertThrows(
                io.mirrorgate.common.error.MirrorgateException.class, () -> ReplicatorConfig.load(missing));
        assertEquals(missing + ": cannot read the configuration file: no such file (expected: the TOML file"
                + " of the resources, see -c)", e.getMessage());
        assertEquals(io.mirrorgate.common.error.ErrorCode.ENOENT, e.code());
    }

    private static void assertMessage(String expectedPrefix, String text) {
        ConfigException e = assertThrows(ConfigException.class, () -> {
            if (text == null) {
                ReplicatorConfig.parse(MINIMAL, "t").resource("r9");
            } else {
                ReplicatorConfig.parse(text, "t");
            }
        });
        assertTrue(e.getMessage().startsWith(expectedPrefix), e.getMessage());
    }
}
