package io.mirrorgate.replicator.resource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.replicator.bitmap.MetadataFile;
import io.mirrorgate.replicator.bitmap.MetadataSnapshot;
import io.mirrorgate.replicator.config.ReplicatorConfig;
import io.mirrorgate.replicator.config.ResourceConfig;
import io.mirrorgate.replicator.generation.Generations;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.ExternalTools;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class ResourceInitializerTest {
    private static final long MIB = 1L << 20;

    @TempDir
    Path dir;

    private String loopDevice;

    @AfterEach
    void detachLoop() throws Exception {
        if (loopDevice != null) {
            run(ExternalTools.require("losetup"), "-d", loopDevice);
        }
    }

    private ResourceConfig config(Path local, String regionSize) {
        return ReplicatorConfig.parse("node = \"alpha\"\n[resource.r0]\nlocal = \"" + local + "\"\nremote = \"b:3080\"\n"
                + "region_size = \"" + regionSize + "\"\n", "test.toml").resource("r0");
    }

    @Test
    void createsMetadataSizedFromTheImageWithEveryRegionMarked() throws Exception {
        Path image = dir.resolve("r0.img");
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(40 * MIB + 4096);
        }
        ResourceConfig config = config(image, "4MiB");
        ResourceInitializer.Created created = ResourceInitializer.create(config, false);
        assertEquals(dir.resolve("r0.img.mgmeta"), created.metadata());
        assertFalse(created.localCreated());
        assertEquals(11, created.regionCount());
        MetadataSnapshot s = MetadataFile.inspect(created.metadata());
        assertEquals(40 * MIB + 4096, s.volumeSize());
        assertEquals(11, s.markedCount());
        assertEquals("r0", s.resource());
        assertEquals("alpha", s.localNode());
        assertEquals(Generations.initial(), s.generations());
        assertEquals(created.metadataBytes(), Files.size(created.metadata()));
        try (MetadataFile f = ResourceInitializer.openMetadata(config)) {
            assertEquals(4 * MIB, f.regionSize());
        }
    }

    @Test
    void refusesToReplaceMetadataWithoutForce() {
        Path image = dir.resolve("r0.img");
        ResourceConfig config = config(image, "1MiB");
        ResourceInitializer.create(config, false, OptionalLong.of(8 * MIB));
        MetadataSnapshot first = MetadataFile.inspect(config.metadata());
        MirrorgateException e = assertThrows(MirrorgateException.class, () -> ResourceInitializer.create(config, false));
        assertTrue(e.getMessage().startsWith("resource r0: metadata " + config.metadata() + " already exists"),
                e.getMessage());
        assertEquals(first.uuid(), MetadataFile.inspect(config.metadata()).uuid(), "untouched");
        ResourceInitializer.create(config, true);
        assertNotEquals(first.uuid(), MetadataFile.inspect(config.metadata()).uuid(), "replaced with --force");
        assertFalse(Files.exists(dir.resolve("r0.img.mgmeta.new")));
        try (MetadataFile inUse = ResourceInitializer.openMetadata(config)) {
            MirrorgateException busy = assertThrows(MirrorgateException.class, () -> ResourceInitializer.create(config, true));
            assertEquals(ErrorCode.EACCES, busy.code());
            assertEquals(inUse.uuid(), MetadataFile.inspect(config.metadata()).uuid(), "not replaced while in use");
        }
    }

    @Test
    void createsAMissingImageOnlyWhenASizeIsGiven() throws Exception {
        Path image = dir.resolve("new.img");
        ResourceConfig config = config(image, "4MiB");
        MirrorgateException missing = assertThrows(MirrorgateException.class, () -> ResourceInitializer.create(config, false));
        assertEquals(ErrorCode.ENOENT, missing.code());
        assertTrue(missing.getMessage().contains("use --size to create an image file"), missing.getMessage());
        assertThrows(MirrorgateException.class, () -> ResourceInitializer.create(config, false, OptionalLong.of(1000)));
        assertFalse(Files.exists(image));

        ResourceInitializer.Created created = ResourceInitializer.create(config, false, OptionalLong.of(64 * MIB));
        assertTrue(created.localCreated());
        assertEquals(64 * MIB, Files.size(image));
        assertEquals(16, created.regionCount());

        MirrorgateException mismatch = assertThrows(MirrorgateException.class,
                () -> ResourceInitializer.create(config, true, OptionalLong.of(32 * MIB)));
        assertTrue(mismatch.getMessage().contains("exists with " + 64 * MIB + " bytes (expected: " + 32 * MIB),
                mismatch.getMessage());
    }

    @Test
    void openMetadataChecksTheConfiguredRegionSizeAndTheDeviceSize() throws Exception {
        Path image = dir.resolve("r0.img");
        ResourceInitializer.create(config(image, "1MiB"), false, OptionalLong.of(8 * MIB));
        MirrorgateException region = assertThrows(MirrorgateException.class,
                () -> ResourceInitializer.openMetadata(config(image, "2MiB")));
        assertTrue(region.getMessage().contains("has region size 1048576 but region_size is 2097152 in test.toml"),
                region.getMessage());
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(16 * MIB);
        }
        MirrorgateException grown = assertThrows(MirrorgateException.class,
                () -> ResourceInitializer.openMetadata(config(image, "1MiB")));
        assertTrue(grown.getMessage().contains("differs from the local replica's size " + 16 * MIB), grown.getMessage());
    }

    @Test
    @EndToEnd
    void blockDeviceSizeComesFromTheDevice() throws Exception {
        ExternalTools.requireRoot();
        String losetup = ExternalTools.require("losetup");
        Path backing = dir.resolve("backing.img");
        try (RandomAccessFile f = new RandomAccessFile(backing.toFile(), "rw")) {
            f.setLength(24 * MIB);
        }
        loopDevice = run(losetup, "-f", "--show", backing.toString()).trim();
        assertEquals(24 * MIB, ResourceInitializer.volumeSize(Path.of(loopDevice)));
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
        assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out);
        return out;
    }
}
