package io.mirrorgate.server.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.server.nbdprotocol.NbdConstants;
import io.mirrorgate.server.nbdprotocol.NbdMessages;
import io.mirrorgate.server.nbdprotocol.NbdServerDecoder;
import io.mirrorgate.common.lifecycle.GracefulShutdown;
import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.SingleExportResolver;
import io.mirrorgate.server.nbdprotocol.NbdMessages.ClientFlags;
import io.mirrorgate.server.nbdprotocol.NbdMessages.Option;
import io.mirrorgate.server.nbdprotocol.NbdMessages.Request;
import io.mirrorgate.server.testing.ForwardingDevice;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The NBD codec and handlers on an EmbeddedChannel, input fed in small fragments. */
@Timeout(30)
class NbdCodecTest {
    private static final int MAX = 64 * 1024;
    private final List<ByteBuf> fed = new ArrayList<>();

    /** Writes {@code bytes} into the channel in fragments of {@code step} bytes, keeping them. */
    private void feed(EmbeddedChannel ch, ByteBuf bytes, int step) {
        while (bytes.isReadable()) {
            ByteBuf part = bytes.readRetainedSlice(Math.min(step, bytes.readableBytes()));
            fed.add(part);
            ch.writeInbound(part);
        }
        bytes.release();
    }

    private void assertFedReleased() {
        for (ByteBuf b : fed) {
            assertEquals(0, b.refCnt(), "every input fragment is released");
        }
    }

    /** Everything written so far, as one buffer (each outbound buffer released once). */
    private static ByteBuf written(EmbeddedChannel ch) {
        ByteBuf all = Unpooled.buffer();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            all.writeBytes(b);
            assertTrue(b.release(), "an outbound buffer is owned by the reader alone");
        }
        return all;
    }

    private static ByteBuf option(int option, byte[] data) {
        return Unpooled.buffer().writeLong(NbdConstants.IHAVEOPT).writeInt(option)
                .writeInt(data.length).writeBytes(data);
    }

    private static ByteBuf request(int flags, int type, long cookie, long offset, int length,
            byte[] payload) {
        ByteBuf b = Unpooled.buffer().writeInt(NbdConstants.REQUEST_MAGIC).writeShort(flags)
                .writeShort(type).writeLong(cookie).writeLong(offset).writeInt(length);
        return payload != null ? b.writeBytes(payload) : b;
    }

    private static EmbeddedChannel channel(BlockDevice device, Access access) {
        return new EmbeddedChannel(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                NbdChannelInitializer.addHandlers(ch.pipeline(),
                        new SingleExportResolver("vol", device, access), MAX);
            }
        });
    }

    @Test
    void decoderFramesOptionsAndRequestsFedByteByByte() {
        EmbeddedChannel ch = new EmbeddedChannel(new NbdServerDecoder(MAX));
        ByteBuf in = Unpooled.buffer().writeInt(3);
        in.writeBytes(option(NbdConstants.OPT_GO, RawNbdClient.goData("vol", 3)));
        feed(ch, in, 1);
        assertEquals(3, ((ClientFlags) ch.readInbound()).flags());
        Option go = ch.readInbound();
        assertEquals(NbdConstants.OPT_GO, go.option());
        assertEquals(11, go.content().readableBytes());
        go.release();
        ch.pipeline().get(NbdServerDecoder.class).startTransmission();

        byte[] payload = TestData.randomBytes(5, 1024);
        feed(ch, request(1, NbdConstants.CMD_WRITE, 77, 4096, 1024, payload), 3);
        Request write = ch.readInbound();
        assertEquals(77, write.cookie());
        assertEquals(4096, write.offset());
        assertEquals(1, write.flags());
        assertArrayEquals(payload, io.netty.buffer.ByteBufUtil.getBytes(write.content()));
        write.release();

        // Oversized write: the payload is skipped as it arrives, the next request decodes.
        ByteBuf big = request(0, NbdConstants.CMD_WRITE, 78, 0, MAX + 512, new byte[MAX + 512]);
        big.writeBytes(request(0, NbdConstants.CMD_READ, 79, 0, 512, null));
        feed(ch, big, 4000);
        Request skipped = ch.readInbound();
        assertTrue(skipped.discarded());
        assertEquals(0, skipped.content().readableBytes());
        skipped.release();
        Request read = ch.readInbound();
        assertEquals(79, read.cookie());
        read.release();
        assertNull(ch.readInbound());
        assertFalse(ch.finish());
        assertFedReleased();
    }

    @Test
    void decoderRejectsBadMagicAndHugeOptionsBeforeAllocating() {
        EmbeddedChannel ch = new EmbeddedChannel(new NbdServerDecoder(MAX));
        ByteBuf in = Unpooled.buffer().writeInt(1).writeLong(NbdConstants.IHAVEOPT)
                .writeInt(NbdConstants.OPT_GO).writeInt(Integer.MAX_VALUE);
        DecoderException e = assertThrows(DecoderException.class, () -> ch.writeInbound(in));
        assertEquals("option length: 2147483647 (expected: <= 8192)", e.getMessage());
        ch.finishAndReleaseAll();
        assertEquals(0, in.refCnt(), "closing the channel releases what was buffered");

        EmbeddedChannel ch2 = new EmbeddedChannel(new NbdServerDecoder(MAX));
        ByteBuf bad = Unpooled.buffer().writeInt(1).writeLong(0x1234L).writeLong(0);
        DecoderException e2 = assertThrows(DecoderException.class, () -> ch2.writeInbound(bad));
        assertTrue(e2.getMessage().startsWith("option magic: 0x0000000000001234"), e2.getMessage());
        ch2.finishAndReleaseAll();
        assertEquals(0, bad.refCnt());
    }

    @Test
    void handshakeGoWriteAndReadWithStructuredRepliesInFragments() {
        MemoryBlockDevice device = new MemoryBlockDevice("vol", 1 << 20, 512, false);
        EmbeddedChannel ch = channel(device, Access.RW);

        ByteBuf greeting = written(ch);
        assertEquals(NbdConstants.NBDMAGIC, greeting.readLong());
        assertEquals(NbdConstants.IHAVEOPT, greeting.readLong());
        assertEquals(NbdConstants.FLAG_FIXED_NEWSTYLE | NbdConstants.FLAG_NO_ZEROES,
                greeting.readUnsignedShort());
        assertFalse(greeting.isReadable());

        ByteBuf in = Unpooled.buffer().writeInt(NbdConstants.FLAG_FIXED_NEWSTYLE | NbdConstants.FLAG_NO_ZEROES);
        in.writeBytes(option(NbdConstants.OPT_STRUCTURED_REPLY, new byte[0]));
        in.writeBytes(option(NbdConstants.OPT_GO, RawNbdClient.goData("", NbdConstants.INFO_BLOCK_SIZE)));
        byte[] data = TestData.randomBytes(11, 2048);
        in.writeBytes(request(NbdConstants.CMD_FLAG_FUA, NbdConstants.CMD_WRITE, 1, 1024, 2048, data));
        in.writeBytes(request(0, NbdConstants.CMD_READ, 2, 1024, 2048, null));
        in.writeBytes(request(0, NbdConstants.CMD_FLUSH, 3, 0, 0, null));
        feed(ch, in, 7);

        ByteBuf out = written(ch);
        assertOptionReply(out, NbdConstants.OPT_STRUCTURED_REPLY, NbdConstants.REP_ACK, 0);
        assertOptionReply(out, NbdConstants.OPT_GO, NbdConstants.REP_INFO, 12);
        assertEquals(NbdConstants.INFO_EXPORT, out.readUnsignedShort());
        assertEquals(1 << 20, out.readLong());
        int flags = out.readUnsignedShort();
        assertEquals(0, flags & NbdConstants.FLAG_READ_ONLY);
        assertTrue((flags & NbdConstants.FLAG_SEND_FUA) != 0);
        assertOptionReply(out, NbdConstants.OPT_GO, NbdConstants.REP_INFO, 14);
        assertEquals(NbdConstants.INFO_BLOCK_SIZE, out.readUnsignedShort());
        out.skipBytes(12);
        assertOptionReply(out, NbdConstants.OPT_GO, NbdConstants.REP_ACK, 0);

        assertEquals(NbdConstants.SIMPLE_REPLY_MAGIC, out.readInt());
        assertEquals(0, out.readInt());
        assertEquals(1, out.readLong());

        assertEquals(NbdConstants.STRUCTURED_REPLY_MAGIC, out.readInt());
        assertEquals(NbdConstants.REPLY_FLAG_DONE, out.readUnsignedShort());
        assertEquals(NbdConstants.REPLY_TYPE_OFFSET_DATA, out.readUnsignedShort());
        assertEquals(2, out.readLong());
        assertEquals(8 + 2048, out.readInt());
        assertEquals(1024, out.readLong());
        byte[] back = new byte[2048];
        out.readBytes(back);
        assertArrayEquals(data, back);

        assertEquals(NbdConstants.SIMPLE_REPLY_MAGIC, out.readInt());
        assertEquals(0, out.readInt());
        assertEquals(3, out.readLong());
        assertFalse(out.isReadable());
        assertEquals(2048, device.bytesWritten());

        feed(ch, request(0, NbdConstants.CMD_DISC, 4, 0, 0, null), 5);
        assertFalse(ch.isOpen(), "NBD_CMD_DISC closes once nothing is in flight");
        assertFalse(ch.finishAndReleaseAll());
        assertFedReleased();
    }

    @Test
    void simpleErrorReplyForAReadOnlyExportInFragments() {
        MemoryBlockDevice device = new MemoryBlockDevice("vol", 1 << 20, 512, false);
        EmbeddedChannel ch = channel(device, Access.RO);
        written(ch).release();
        ByteBuf in = Unpooled.buffer().writeInt(NbdConstants.FLAG_FIXED_NEWSTYLE);
        in.writeBytes(option(NbdConstants.OPT_EXPORT_NAME, "vol".getBytes(StandardCharsets.UTF_8)));
        in.writeBytes(request(0, NbdConstants.CMD_WRITE, 9, 0, 512, new byte[512]));
        feed(ch, in, 2);
        ByteBuf out = written(ch);
        assertEquals(1 << 20, out.readLong());
        assertTrue((out.readUnsignedShort() & NbdConstants.FLAG_READ_ONLY) != 0);
        out.skipBytes(124); // the client did not ask for NO_ZEROES
        assertEquals(NbdConstants.SIMPLE_REPLY_MAGIC, out.readInt());
        assertEquals(NbdConstants.EPERM, out.readInt());
        assertEquals(9, out.readLong());
        assertFalse(out.isReadable());
        assertEquals(0, device.bytesWritten());
        ch.finishAndReleaseAll();
        assertFedReleased();
    }

    @Test
    void gracefulShutdownFinishesInFlightRequestsThenCloses() {
        CompletableFuture<Void> pending = new CompletableFuture<>();
        MemoryBlockDevice memory = new MemoryBlockDevice("vol", 1 << 20, 512, false);
        ForwardingDevice slow = new ForwardingDevice(memory) {
            @Override
            public CompletableFuture<Void> write(long offset, ByteBuf data, boolean fua) {
                return pending.thenCompose(v -> delegate.write(offset, data, fua));
            }
        };
        EmbeddedChannel ch = channel(slow, Access.RW);
        written(ch).release();
        ByteBuf in = Unpooled.buffer().writeInt(NbdConstants.FLAG_FIXED_NEWSTYLE | NbdConstants.FLAG_NO_ZEROES);
        in.writeBytes(option(NbdConstants.OPT_EXPORT_NAME, new byte[0]));
        in.writeBytes(request(0, NbdConstants.CMD_WRITE, 1, 0, 512, TestData.randomBytes(3, 512)));
        feed(ch, in, 64);
        written(ch).release();

        ch.pipeline().fireUserEventTriggered(GracefulShutdown.EVENT);
        assertTrue(ch.isOpen(), "a request is still in flight");
        assertFalse(ch.config().isAutoRead(), "no new requests are read");
        feed(ch, request(0, NbdConstants.CMD_READ, 2, 0, 512, null), 28);

        ByteBuf refused = written(ch);
        assertEquals(NbdConstants.SIMPLE_REPLY_MAGIC, refused.readInt());
        assertEquals(NbdConstants.ESHUTDOWN, refused.readInt(), "already-decoded requests are refused");
        assertEquals(2, refused.readLong());

        pending.complete(null);
        ch.runPendingTasks();
        ByteBuf done = written(ch);
        assertEquals(NbdConstants.SIMPLE_REPLY_MAGIC, done.readInt());
        assertEquals(0, done.readInt());
        assertEquals(1, done.readLong());
        assertFalse(ch.isOpen());
        assertEquals(512, memory.bytesWritten());
        ch.finishAndReleaseAll();
        assertFedReleased();
    }

    @Test
    void unknownClientFlagsCloseTheConnection() {
        EmbeddedChannel ch = channel(new MemoryBlockDevice(1 << 20), Access.RW);
        written(ch).release();
        feed(ch, Unpooled.buffer().writeInt(0x80), 1);
        assertFalse(ch.isOpen());
        assertInstanceOf(Boolean.class, ch.finishAndReleaseAll());
        assertFedReleased();
    }

    @Test
    void aClientThatDoesNotFinishHagglingInTimeIsClosed() {
        EmbeddedChannel ch = channel(new MemoryBlockDevice(1 << 20), Access.RW);
        written(ch).release();
        feed(ch, Unpooled.buffer().writeInt(NbdConstants.FLAG_FIXED_NEWSTYLE), 4);
        ch.advanceTimeBy(NbdConstants.HANDSHAKE_TIMEOUT_SECONDS - 1, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen());
        ch.advanceTimeBy(2, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
        assertFedReleased();
    }

    @Test
    void theHagglingTimeLimitEndsWithTransmission() {
        EmbeddedChannel ch = channel(new MemoryBlockDevice(1 << 20), Access.RW);
        written(ch).release();
        ByteBuf in = Unpooled.buffer().writeInt(NbdConstants.FLAG_FIXED_NEWSTYLE | NbdConstants.FLAG_NO_ZEROES);
        in.writeBytes(option(NbdConstants.OPT_EXPORT_NAME, new byte[0]));
        feed(ch, in, 5);
        written(ch).release();
        ch.advanceTimeBy(NbdConstants.HANDSHAKE_TIMEOUT_SECONDS + 5, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen(), "an idle client in transmission stays connected");
        ch.finishAndReleaseAll();
        assertFedReleased();
    }

    private static void assertOptionReply(ByteBuf out, int option, int type, int length) {
        assertEquals(NbdConstants.OPTION_REPLY_MAGIC, out.readLong());
        assertEquals(option, out.readInt());
        assertEquals(type, out.readInt());
        assertEquals(length, out.readInt());
    }
}
