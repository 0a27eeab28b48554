package io.mirrorgate.server.export;

import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exports of a running server: the parsed {@link ExportsFile} and one open device per path,
 * shared by every client of that path. Devices are opened at construction, in file order, by the
 * injected opener (read-only when every line for the path is RO); if one fails, those already
 * opened are closed again. {@link #close()} closes them in reverse order.
 */
public final class ExportRegistry implements ExportResolver, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ExportRegistry.class);

    private final ExportsFile file;
    private final Map<String, BlockDevice> devices;
    private boolean closed;

    private ExportRegistry(ExportsFile file, Map<String, BlockDevice> devices) {
        this.file = file;
        this.devices = devices;
    }

    /** Opens every export of {@code file} with {@code opener}. */
    public static ExportRegistry open(ExportsFile file, Function<ExportSpec, BlockDevice> opener) {
        Map<String, BlockDevice> devices = new LinkedHashMap<>();
        try {
            for (ExportSpec spec : file.exports()) {
                BlockDevice device = opener.apply(spec);
                if (device == null) {
                    throw new MirrorgateException(ErrorCode.EIO,
                            spec.path() + ": the device opener returned nothing");
                }
                devices.put(spec.path(), device);
                if (!spec.readOnly() && device.isReadOnly()) {
                    LOG.warn("export opened read-only although a line grants write path={}",
                            spec.path());
                }
                LOG.info("export opened path={} readOnly={} size={}", spec.path(),
                        device.isReadOnly(), device.size());
            }
        } catch (RuntimeException e) {
            closeAll(new ArrayList<>(devices.values()), e);
            throw e;
        }
        return new ExportRegistry(file, devices);
    }

    /** The rules this registry serves. */
    public ExportsFile exportsFile() {
        return file;
    }

    @Override
    public synchronized Export resolve(String name, InetAddress client) {
        if (closed) {
            throw new MirrorgateException(ErrorCode.ESHUTDOWN, "exports are closed");
        }
        ExportRule rule = file.match(name, client);
        return new Export(name, devices.get(rule.path()), rule.access());
    }

    @Override
    public List<String> list(InetAddress client) {
        return file.namesFor(client);
    }

    /** Closes every device, last opened first; later failures are added as suppressed. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failure = closeAll(new ArrayList<>(devices.values()), null);
        if (failure != null) {
            throw failure;
        }
    }

    private static RuntimeException closeAll(List<BlockDevice> opened, RuntimeException first) {
        RuntimeException failure = first;
        for (int i = opened.size() - 1; i >= 0; i--) {
            try {
                opened.get(i).close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        return first == null ? failure : null;
    }
}
