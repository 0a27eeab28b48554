package io.mirrorgate.server.nbd;

import io.mirrorgate.server.export.ExportRegistry;
import io.mirrorgate.server.export.ExportsFile;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An {@link NbdServer} on 127.0.0.1 serving an exports file written from {@code lines}, every
 * path backed by a {@link MemoryBlockDevice} of {@code size} bytes (read-only where the registry
 * asks). Closes the server, then the registry.
 */
final class ExportsServer implements AutoCloseable {
    final Path exportsFile;
    final Map<String, MemoryBlockDevice> devices = new ConcurrentHashMap<>();
    final ExportRegistry registry;
    final NbdServer server;

    ExportsServer(Path dir, long size, List<String> lines) throws IOException {
        exportsFile = Files.write(dir.resolve("exports"), lines);
        registry = ExportRegistry.open(ExportsFile.load(exportsFile), spec -> {
            MemoryBlockDevice device = new MemoryBlockDevice(spec.path(), size, 512, spec.readOnly());
            devices.put(spec.path(), device);
            return device;
        });
        try {
            server = NbdServer.start(registry, "127.0.0.1", 0);
        } catch (RuntimeException e) {
            registry.close();
            throw e;
        }
    }

    int port() {
        return server.port();
    }

    String uri(String name) {
        return "nbd://127.0.0.1:" + server.port() + "/" + name;
    }

    MemoryBlockDevice device(String path) {
        return devices.get(path);
    }

    @Override
    public void close() {
        try {
            server.close();
        } finally {
            registry.close();
        }
    }
}
