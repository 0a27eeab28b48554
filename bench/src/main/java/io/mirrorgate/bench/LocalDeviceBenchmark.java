package io.mirrorgate.bench;

import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.server.device.LocalBlockDevice;

/**
 * The baseline: the {@link DeviceWorkload} straight on a {@link LocalBlockDevice} over the
 * image (default options, 4 I/O threads; {@code O_DIRECT} or the page cache as {@code
 * directIo} says), in the benchmark's own JVM, no network.
 */
public class LocalDeviceBenchmark extends BlockDeviceWorkload {
    @Override
    protected BlockDevice openDevice(BenchImage image) {
        return openLocal(image);
    }
}
