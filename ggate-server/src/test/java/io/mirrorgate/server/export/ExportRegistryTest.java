package io.mirrorgate.server.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.testing.ForwardingDevice;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExportRegistryTest {
    private final List<String> events = new ArrayList<>();

    private BlockDevice recording(ExportSpec spec, boolean failClose) {
        events.add("open " + spec.path() + (spec.readOnly() ? " ro" : " rw"));
        MemoryBlockDevice inner = new MemoryBlockDevice(spec.path(), 1 << 20, 512, spec.readOnly());
        return new ForwardingDevice(inner) {
            @Override
            public void close() {
                events.add("close " + spec.path());
                inner.close();
                if (failClose) {
                    throw new MirrorgateException(ErrorCode.EIO, "close failed " + spec.path());
                }
            }
        };
    }

    private static ExportsFile file(String... lines) {
        return ExportsFile.parse("exports", List.of(lines), InetAddress::getAllByName);
    }

    @Test
    void opensEachPathOnceReadOnlyOnlyWhenEveryLineIsRoAndSharesIt() throws Exception {
        ExportsFile exports = file(
                "10.0.0.1 RO /a",
                "10.0.0.2 RW /a a",
                "*        RO /b b");
        try (ExportRegistry registry = ExportRegistry.open(exports, s -> recording(s, false))) {
            assertEquals(List.of("open /a rw", "open /b ro"), events);
            Export one = registry.resolve("/a", InetAddress.getByName("10.0.0.1"));
            Export two = registry.resolve("a", InetAddress.getByName("10.0.0.2"));
            assertSame(one.device(), two.device());
            assertEquals(Access.RO, one.access());
            assertEquals(Access.RW, two.access());
            assertTrue(registry.resolve("b", InetAddress.getByName("10.9.9.9")).device().isReadOnly());
            assertEquals(List.of("/a", "b"), registry.list(InetAddress.getByName("10.0.0.1")));
            MirrorgateException unknown = assertThrows(MirrorgateException.class,
                    () -> registry.resolve("nope", InetAddress.getByName("10.0.0.1")));
            assertEquals(ErrorCode.ENOENT, unknown.code());
            MirrorgateException refused = assertThrows(MirrorgateException.class,
                    () -> registry.resolve("/a", InetAddress.getByName("10.0.0.3")));
            assertEquals(ErrorCode.EACCES, refused.code());
        }
        assertEquals(List.of("open /a rw", "open /b ro", "close /b", "close /a"), events);
    }

    @Test
    void closeClosesEveryDeviceInReverseOrderWithSuppressedFailures() {
        ExportsFile exports = file("* RW /a", "* RW /b", "* RW /c");
        ExportRegistry registry = ExportRegistry.open(exports, s -> recording(s, !s.path().equals("/b")));
        MirrorgateException e = assertThrows(MirrorgateException.class, registry::close);
        assertEquals("close failed /c", e.getMessage());
        assertEquals(1, e.getSuppressed().length);
        assertEquals("close failed /a", e.getSuppressed()[0].getMessage());
        assertEquals(List.of("open /a rw", "open /b rw", "open /c rw", "close /c", "close /b", "close /a"),
                events);
        registry.close();
        assertEquals(6, events.size(), "close is idempotent");
    }

    @Test
    void anOpenFailureClosesWhatWasAlreadyOpened() {
        ExportsFile exports = file("* RW /a", "* RW /b", "* RW /c");
        MirrorgateException e = assertThrows(MirrorgateException.class, () -> ExportRegistry.open(
                exports, s -> {
                    if (s.path().equals("/c")) {
                        throw new MirrorgateException(ErrorCode.ENOENT, "/c: no such file");
                    }
                    return recording(s, false);
                }));
        assertEquals("/c: no such file", e.getMessage());
        assertEquals(List.of("open /a rw", "open /b rw", "close /b", "close /a"), events);
    }

    @Test
    void singleExportServesLocalClientsOnly() throws Exception {
        MemoryBlockDevice dev = new MemoryBlockDevice(1 << 20);
        SingleExportResolver resolver = new SingleExportResolver("vol0", dev, Access.RW);
        assertSame(dev, resolver.resolve("", InetAddress.getLoopbackAddress()).device());
        assertSame(dev, resolver.resolve("vol0", InetAddress.getByName("::1")).device());
        assertEquals("vol0", resolver.defaultName(InetAddress.getLoopbackAddress()));
        assertEquals(ErrorCode.ENOENT, assertThrows(MirrorgateException.class,
                () -> resolver.resolve("vol1", InetAddress.getLoopbackAddress())).code());
        assertEquals(ErrorCode.EACCES, assertThrows(MirrorgateException.class,
                () -> resolver.resolve("vol0", InetAddress.getByName("10.0.0.1"))).code());
        assertEquals(List.of(), resolver.list(InetAddress.getByName("10.0.0.1")));
    }
}
