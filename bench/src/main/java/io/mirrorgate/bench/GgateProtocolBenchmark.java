package io.mirrorgate.bench;

import io.mirrorgate.client.remote.RemoteBlockDevice;
import io.mirrorgate.client.remote.RemoteDeviceOptions;
import io.mirrorgate.server.daemon.GgateDaemon;
import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.server.device.LocalDeviceOptions;
import io.mirrorgate.server.protocol.GgateProtocol;
import io.mirrorgate.common.net.HostPort;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@link DeviceWorkload} through the ggate protocol on 127.0.0.1: an in-process {@link
 * GgateDaemon} (what {@code ggate-server} runs: an exports file naming the image, a key file,
 * its own event loops, NBD off) serves the image as a {@code LocalBlockDevice} with the same
 * options as {@link LocalDeviceBenchmark}'s, and a {@link RemoteBlockDevice} (no compression,
 * CRC32C on every payload) is the device under test. Both ends share the JVM and the cores.
 */
public class GgateProtocolBenchmark extends BlockDeviceWorkload {
    private static final byte[] KEY = "mirrorgate bench key".getBytes(StandardCharsets.UTF_8);

    @Override
    protected BlockDevice openDevice(BenchImage image) throws Exception {
        Path dir = image.stateDirectory();
        String export = image.file().toString();
        Path exports = Files.writeString(dir.resolve("exports"), "127.0.0.1 RW " + export + "\n");
        Path key = Files.write(dir.resolve("key"), KEY);
        GgateDaemon daemon = own(GgateDaemon.start(new GgateDaemon.Settings(exports,
                new HostPort("127.0.0.1", 0), null, key, dir,
                LocalDeviceOptions.defaults().withDirectIo(directIo),
                GgateProtocol.DEFAULT_MAX_REQUEST_SIZE)));
        return own(RemoteBlockDevice.connect(RemoteDeviceOptions.builder("127.0.0.1",
                daemon.ggateAddress().getPort(), export, KEY).nodeId("bench").compression(false)
                .build()));
    }
}
