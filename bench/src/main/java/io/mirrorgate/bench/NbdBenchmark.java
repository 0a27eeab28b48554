package io.mirrorgate.bench;

import io.mirrorgate.server.device.LocalBlockDevice;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.SingleExportResolver;
import io.mirrorgate.server.nbd.NbdServer;
import io.mirrorgate.server.nbdclient.NbdClient;

/**
 * The {@link DeviceWorkload} through our NBD server on 127.0.0.1: an in-process {@link
 * NbdServer} exports a {@link LocalBlockDevice} on the image, and {@link NbdClient} (one blocking
 * socket) sends each round pipelined, then takes the replies in any order. The client copies
 * through heap arrays and streams, so this is a floor for NBD, not its best.
 */
public class NbdBenchmark extends DeviceWorkload {
    private static final String EXPORT = "bench";

    private NbdClient client;
    private final byte[] payload = pattern();
    private final byte[] sink = new byte[SEQ_SIZE];

    @Override
    protected void openTarget(BenchImage image) throws Exception {
        LocalBlockDevice device = openLocal(image);
        NbdServer server = own(NbdServer.start(new SingleExportResolver(EXPORT, device, Access.RW),
                "127.0.0.1", 0));
        client = own(NbdClient.connect("127.0.0.1", server.port(), EXPORT));
    }

    @Override
    protected void writeRound(long[] offsets, int count, int length) throws Exception {
        client.writePipelined(offsets, count, payload, length, false);
    }

    @Override
    protected void readRound(long[] offsets, int count, int length) throws Exception {
        client.readPipelined(offsets, count, length, sink);
    }
}
