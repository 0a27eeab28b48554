package io.mirrorgate.replicator.bitmap;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

/**
 * The child process of {@link BitmapCrashTest}: writes random 4 KiB blocks into a local image
 * through the real {@link PersistentDirtyRegions}, printing {@code ACK offset} for each write it
 * acknowledges and {@code DURABLE} after each flush + {@link PersistentDirtyRegions#bothDurable},
 * until it is killed (or {@code maxWrites} is reached).
 *
 * <p>Arguments: metadata path, image path, volume size, activity regions, max writes, seed, and
 * the write count after which it stops flushing (so that the writes the parent's SIGKILL lands
 * among are certainly not all covered by a flush, however late the signal arrives).
 */
public final class CrashWriter {
    private CrashWriter() {}

    public static void main(String[] args) throws IOException {
        Path meta = Path.of(args[0]);
        Path image = Path.of(args[1]);
        long volume = Long.parseLong(args[2]);
        int activity = Integer.parseInt(args[3]);
        int maxWrites = Integer.parseInt(args[4]);
        Random random = new Random(Long.parseLong(args[5]));
        int lastFlush = Integer.parseInt(args[6]);
        PrintStream out = System.out;
        PersistentDirtyRegions regions = PersistentDirtyRegions.open(meta, volume, activity);
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.WRITE)) {
            byte[] block = new byte[4096];
            for (int i = 0; i < maxWrites; i++) {
                long offset = (long) random.nextInt((int) (volume / 4096)) * 4096;
                random.nextBytes(block);
                regions.beginWrite(offset, block.length).join();
                ByteBuffer buf = ByteBuffer.wrap(block);
                while (buf.hasRemaining()) {
                    ch.write(buf, offset + buf.position());
                }
                regions.endWrite(offset, block.length, true);
                out.println("ACK " + offset);
                out.flush();
                if (i % 16 == 15 && i < lastFlush) {
                    long mark = regions.durabilityMark();
                    ch.force(false); // stands for the flush of both replicas
                    regions.bothDurable(mark);
                    out.println("DURABLE");
                    out.flush();
                }
            }
        }
        out.println("DONE");
        out.flush();
        // Deliberately no close: the parent kills this process before it gets here.
    }
}
