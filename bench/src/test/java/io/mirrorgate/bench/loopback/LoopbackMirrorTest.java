package io.mirrorgate.bench.loopback;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.mirrorgate.replicator.resource.ResourceOptions;
import io.mirrorgate.replicator.resource.ResourceStatus;
import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The benchmarks' in-process wiring really replicates: the numbers are about a working mirror. */
@Timeout(120)
class LoopbackMirrorTest {
    private static final long SIZE = 8L << 20;
    private static final long REGION = 1L << 20;

    @TempDir
    Path dir;

    private LoopbackMirror.Layout layout() {
        return new LoopbackMirror.Layout(dir.resolve("primary.img"), dir.resolve("standby.img"),
                dir.resolve("primary.mgmeta"), dir.resolve("state"));
    }

    private LoopbackMirror open() throws InterruptedException {
        return LoopbackMirror.open(layout(), ResourceOptions.defaults("test"), REGION, 4);
    }

    @Test
    void initialSyncAndWindowedWritesLeaveBothImagesEqual() throws Exception {
        Images.writeRandom(layout().primary(), SIZE, 1);
        Images.writeRandom(layout().standby(), SIZE, 2);
        assertNotEquals(TestData.sha256(layout().primary()), TestData.sha256(layout().standby()));
        ByteBuf data = Unpooled.wrappedBuffer(TestData.randomBytes(3, 65536));
        try (LoopbackMirror mirror = open()) {
            mirror.start();
            mirror.awaitSyncs(1, Duration.ofSeconds(60));
            long[] next = {4096};
            WriteWindow.write(mirror.device(), data, 100, 16, () -> {
                long offset = next[0];
                next[0] = (next[0] + 65536 + 4096) % (SIZE - 65536);
                return offset;
            });
            mirror.device().flush().get(30, TimeUnit.SECONDS);
            assertEquals(100 * 65536L, mirror.standby().device().stats().bytesWritten()
                    - SIZE, "standby bytes written beyond the initial sync");
        } finally {
            data.release();
        }
        assertEquals(TestData.sha256(layout().primary()), TestData.sha256(layout().standby()));
    }

    @Test
    void writesWhileTheStandbyIsAwayAreResyncedAfterARestart() throws Exception {
        Images.writeRandom(layout().primary(), SIZE, 1);
        Images.writeRandom(layout().standby(), SIZE, 1);
        ByteBuf data = Unpooled.wrappedBuffer(TestData.randomBytes(4, (int) REGION));
        try (LoopbackMirror mirror = open()) {
            mirror.start();
            mirror.awaitSyncs(1, Duration.ofSeconds(60));
            mirror.standby().stopServing();
            mirror.awaitState(ResourceStatus.State.DISCONNECTED, Duration.ofSeconds(30));
            mirror.device().write(3 * REGION, data, false).get(30, TimeUnit.SECONDS);
            mirror.device().write(6 * REGION, data, false).get(30, TimeUnit.SECONDS);
            mirror.device().flush().get(30, TimeUnit.SECONDS);
            assertEquals(2, mirror.dirty().owedCount());
        } finally {
            data.release();
        }
        assertNotEquals(TestData.sha256(layout().primary()), TestData.sha256(layout().standby()));
        try (LoopbackMirror mirror = open()) {
            assertEquals(2, mirror.dirty().owedCount(), "owed regions read back from the metadata");
            mirror.start();
            mirror.awaitSyncs(1, Duration.ofSeconds(60));
            assertEquals("LOCAL_NEWER", mirror.runtime().status().lastDecision());
            assertEquals(2 * REGION, mirror.runtime().progress().bytesDone());
        }
        assertEquals(TestData.sha256(layout().primary()), TestData.sha256(layout().standby()));
    }
}
