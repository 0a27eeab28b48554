package io.mirrorgate.client.endtoend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.nbdclient.NbdClient;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.GgateServerProcess;
import io.mirrorgate.server.testing.ProcessGroup;
import io.mirrorgate.server.testing.TestData;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The life of an attachment through real processes: {@code list --json}, {@code detach}, {@code
 * rescue} after the server was killed and restarted, and a request that outlives {@code --timeout}
 * while the server is down.
 */
@EndToEnd
class AttachLifecycleEndToEndTest {
    private static final long SIZE = 256L * 1024 * 1024;
    private static final int BLOCK = 64 * 1024;

    @RegisterExtension
    final ProcessGroup processes = new ProcessGroup();
    @TempDir
    Path dir;
    private Path image;
    private Path run;
    private GgateServerProcess server;

    private AttachProcess startServerAndAttach(String... options) throws Exception {
        image = TestData.sparseFile(dir.resolve("disk.img"), SIZE);
        run = dir.resolve("run");
        server = GgateServerProcess.start(processes, dir, List.of("127.0.0.1 RW " + image));
        return AttachProcess.start(processes, dir, "attach", run, server.keyFile(),
                server.ggateAddress(), image.toString(), options);
    }

    /** Writes block {@code slot} with the bytes of seed {@code slot}. */
    private static void writeSlot(NbdClient nbd, int slot) throws Exception {
        nbd.write((long) slot * BLOCK, TestData.randomBytes(slot, BLOCK), false);
    }

    private void assertSlotsInImage(int from, int to) throws Exception {
        for (int slot = from; slot < to; slot++) {
            assertEquals(TestData.sha256(TestData.randomBytes(slot, BLOCK)),
                    TestData.sha256(image, (long) slot * BLOCK, BLOCK), "block " + slot + " in the image");
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void listJsonShowsTheAttachmentWithItsStateAndCounters() throws Exception {
        AttachProcess attach = startServerAndAttach();
        try (NbdClient nbd = attach.connect()) {
            for (int slot = 0; slot < 16; slot++) {
                writeSlot(nbd, slot);
            }
            nbd.read(0, 4 * BLOCK);
            JsonNode list = InProcessCli.client("list", "--json", "--run-dir", run.toString())
                    .assertSuccess().json();
            assertEquals(1, list.size(), list::toString);
            JsonNode a = list.get(0);
            assertEquals(attach.id(), a.path("id").asText());
            assertEquals("connected", a.path("state").asText());
            assertEquals(server.ggateAddress(), a.path("remote").asText());
            assertEquals(image.toString(), a.path("path").asText());
            assertEquals(attach.uri(), a.path("endpoint").asText());
            assertEquals(attach.process().pid(), a.path("pid").asLong());
            assertEquals(SIZE, a.path("size").asLong());
            assertTrue(a.path("requests").asLong() >= 17, a::toString);
            assertEquals(16L * BLOCK, a.path("bytesWritten").asLong(), a::toString);
            assertEquals(4L * BLOCK, a.path("bytesRead").asLong(), a::toString);
            assertEquals(0, a.path("failures").asLong(), a::toString);
            assertEquals(0, a.path("reconnects").asLong(), a::toString);
            assertEquals(1, a.path("nbdClients").asInt(), a::toString);

            String table = InProcessCli.client("list", "--run-dir", run.toString()).assertSuccess().out();
            assertTrue(table.contains(attach.id()) && table.contains("connected"), table);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void detachEndsTheAttachProcessWithExitZeroAndTheImageHoldsEveryAcknowledgedWrite()
            throws Exception {
        AttachProcess attach = startServerAndAttach();
        NbdClient nbd = attach.connect();
        for (int slot = 0; slot < 64; slot++) {
            writeSlot(nbd, slot);
        }
        InProcessCli detach = InProcessCli.client("detach", "--run-dir", run.toString(), attach.id())
                .assertSuccess();
        assertTrue(detach.out().contains(attach.id() + " detached"), detach.out());
        assertEquals(0, attach.process().waitFor(Duration.ofSeconds(30)), attach.process()::story);
        assertThrows(java.io.IOException.class, nbd::flush, "the NBD endpoint is gone");
        nbd.close();

        assertSlotsInImage(0, 64);
        assertEquals(0, InProcessCli.client("list", "--json", "--run-dir", run.toString())
                .assertSuccess().json().size(), "no attachment is listed after detach");
        InProcessCli again = InProcessCli.client("detach", "--run-dir", run.toString(), attach.id());
        assertEquals(66, again.exitCode(), again::toString);
        assertTrue(again.err().contains("no attachment " + attach.id()), again.err());
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void rescueReconnectsAfterTheServerWasKilledAndRestartedAndNoWriteIsLost() throws Exception {
        AttachProcess attach = startServerAndAttach();
        try (NbdClient nbd = attach.connect()) {
            for (int slot = 0; slot < 32; slot++) {
                writeSlot(nbd, slot);
            }
            server.kill();
            server.restart();
            InProcessCli rescue = InProcessCli.client("rescue", "--run-dir", run.toString(), attach.id())
                    .assertSuccess();
            assertTrue(rescue.out().contains(attach.id() + " reconnecting to " + server.ggateAddress()),
                    rescue.out());
            for (int slot = 32; slot < 64; slot++) {
                writeSlot(nbd, slot);
            }
            nbd.flush();
            JsonNode a = InProcessCli.client("list", "--json", "--run-dir", run.toString())
                    .assertSuccess().json().get(0);
            assertEquals("connected", a.path("state").asText(), a::toString);
            assertTrue(a.path("reconnects").asLong() >= 1, a::toString);
        }
        assertSlotsInImage(0, 64);
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aRequestWhileTheServerIsDownLongerThanTheTimeoutFailsWithEioAndTheDiskRecovers()
            throws Exception {
        AttachProcess attach = startServerAndAttach("--timeout", "2");
        try (NbdClient nbd = attach.connect()) {
            writeSlot(nbd, 0);
            server.kill();
            long start = System.nanoTime();
            MirrorgateException failed = assertThrows(MirrorgateException.class,
                    () -> writeSlot(nbd, 1));
            long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(ErrorCode.EIO, failed.code(), failed::toString);
            assertTrue(waitedMs >= 1_500 && waitedMs < 20_000, "failed after " + waitedMs + " ms");
            assertTrue(attach.process().isAlive(), "the attachment survives the outage");
            JsonNode down = InProcessCli.client("list", "--json", "--run-dir", run.toString())
                    .assertSuccess().json().get(0);
            assertEquals("reconnecting", down.path("state").asText(), down::toString);
            assertTrue(down.path("failures").asLong() >= 1, down::toString);
            assertTrue(down.path("lastError").asText().contains(server.ggateAddress()), down::toString);

            server.restart();
            InProcessCli.client("rescue", "--run-dir", run.toString(), attach.id()).assertSuccess();
            writeSlot(nbd, 1);
            writeSlot(nbd, 2);
            nbd.flush();
        }
        assertSlotsInImage(0, 3);
        assertFalse(attach.process().stdout().size() > 1, "attach prints only its URI");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aKilledAttachmentIsListedStaleAndItsIdIsTakenByTheNextAttach() throws Exception {
        AttachProcess first = startServerAndAttach();
        first.process().kill();
        JsonNode list = InProcessCli.client("list", "--json", "--run-dir", run.toString())
                .assertSuccess().json();
        assertEquals(1, list.size(), list::toString);
        assertEquals(first.id(), list.get(0).path("id").asText());
        assertEquals("stale", list.get(0).path("state").asText(), list::toString);
        InProcessCli rescue = InProcessCli.client("rescue", "--run-dir", run.toString(), "ggate7");
        assertEquals(66, rescue.exitCode(), rescue::toString);
        assertTrue(rescue.err().startsWith("ggate-client: no attachment ggate7"), rescue.err());

        AttachProcess second = AttachProcess.start(processes, dir, "attach-2", run,
                server.keyFile(), server.ggateAddress(), image.toString());
        assertEquals(first.id(), second.id(), "the dead attachment's id is free again");
        try (NbdClient nbd = second.connect()) {
            writeSlot(nbd, 5);
            nbd.flush();
        }
        assertSlotsInImage(5, 6);
        JsonNode after = InProcessCli.client("list", "--json", "--run-dir", run.toString())
                .assertSuccess().json();
        assertEquals(1, after.size(), after::toString);
        assertEquals("connected", after.get(0).path("state").asText(), after::toString);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void detachWhileTheServerIsDownEndsTheAttachmentPromptlyWithExitZero() throws Exception {
        AttachProcess attach = startServerAndAttach();
        try (NbdClient nbd = attach.connect()) {
            writeSlot(nbd, 0);
        }
        server.kill();
        long start = System.nanoTime();
        InProcessCli.client("detach", "--run-dir", run.toString(), attach.id()).assertSuccess();
        assertEquals(0, attach.process().waitFor(Duration.ofSeconds(20)), attach.process()::story);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(ms < 10_000, "detach took " + ms + " ms");
        assertSlotsInImage(0, 1);
    }
}
