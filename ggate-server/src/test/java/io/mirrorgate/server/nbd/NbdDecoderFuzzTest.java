package io.mirrorgate.server.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.server.nbdprotocol.NbdConstants;
import io.mirrorgate.server.nbdprotocol.NbdServerDecoder;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.SingleExportResolver;
import io.mirrorgate.server.testing.FuzzInput;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * NBD fed arbitrary and mutated client bytes in fragments: the decoder alone raises nothing but
 * a {@link DecoderException}; the whole server pipeline (options, then requests on a memory
 * device) raises nothing at all, releases every input buffer and allocates no buffer larger than
 * a request's limit. {@code -Dmirrorgate.fuzz.tries=1000000} for a long run ({@link FuzzInput}).
 */
class NbdDecoderFuzzTest {
    private static final int MAX = 64 * 1024;
    private final MemoryBlockDevice device = new MemoryBlockDevice("vol", 1 << 20, 512, false);

    private static List<byte[]> clientBytes() {
        ByteBuf b = Unpooled.buffer().writeInt(NbdConstants.FLAG_FIXED_NEWSTYLE | NbdConstants.FLAG_NO_ZEROES);
        option(b, NbdConstants.OPT_STRUCTURED_REPLY, new byte[0]);
        option(b, NbdConstants.OPT_LIST, new byte[0]);
        option(b, NbdConstants.OPT_INFO, RawNbdClient.goData("vol", NbdConstants.INFO_DESCRIPTION));
        option(b, NbdConstants.OPT_STARTTLS, new byte[0]);
        option(b, NbdConstants.OPT_GO, RawNbdClient.goData("vol", NbdConstants.INFO_BLOCK_SIZE));
        request(b, NbdConstants.CMD_WRITE, 4096, 1024).writeBytes(new byte[1024]);
        request(b, NbdConstants.CMD_READ, 0, 4096);
        request(b, NbdConstants.CMD_FLUSH, 0, 0);
        request(b, NbdConstants.CMD_WRITE_ZEROES, 8192, 4096);
        request(b, NbdConstants.CMD_DISC, 0, 0);
        byte[] session = ByteBufUtil.getBytes(b);
        b.release();
        ByteBuf exportName = Unpooled.buffer().writeInt(NbdConstants.FLAG_FIXED_NEWSTYLE);
        option(exportName, NbdConstants.OPT_EXPORT_NAME, "vol".getBytes());
        request(exportName, NbdConstants.CMD_READ, 512, 512);
        byte[] old = ByteBufUtil.getBytes(exportName);
        exportName.release();
        return List.of(session, old);
    }

    private static void option(ByteBuf b, int option, byte[] data) {
        b.writeLong(NbdConstants.IHAVEOPT).writeInt(option).writeInt(data.length).writeBytes(data);
    }

    private static ByteBuf request(ByteBuf b, int type, long offset, int length) {
        return b.writeInt(NbdConstants.REQUEST_MAGIC).writeShort(0).writeShort(type).writeLong(7)
                .writeLong(offset).writeInt(length);
    }

    @Test
    void theDecoderRaisesOnlyDecoderExceptions() {
        FuzzInput.forEach(clientBytes(), 2048, this::decodeAlone);
    }

    private void decodeAlone(FuzzInput.Case c) {
        NbdServerDecoder decoder = new NbdServerDecoder(MAX);
        if (c.random().nextBoolean()) {
            decoder.startTransmission();
        }
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        List<ByteBuf> fed = new ArrayList<>();
        for (byte[] part : c.fragments()) {
            ByteBuf b = Unpooled.wrappedBuffer(part);
            fed.add(b);
            try {
                ch.writeInbound(b);
            } catch (DecoderException expected) {
                // the protocol's own failure
            }
            drain(ch);
        }
        ch.finishAndReleaseAll();
        fed.forEach(b -> assertEquals(0, b.refCnt(), "an input buffer was not released"));
    }

    @Test
    void theServerPipelineSurvivesAnything() {
        FuzzInput.forEach(clientBytes(), 2048, this::serve);
    }

    private void serve(FuzzInput.Case c) throws Exception {
        FuzzInput.TrackingAllocator alloc = new FuzzInput.TrackingAllocator();
        EmbeddedChannel ch = new EmbeddedChannel(false, false, new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel c) {
                NbdChannelInitializer.addHandlers(c.pipeline(),
                        new SingleExportResolver("vol", device, Access.RW), MAX);
            }
        });
        ch.config().setAllocator(alloc);
        ch.register();
        List<ByteBuf> fed = new ArrayList<>();
        for (byte[] part : c.fragments()) {
            if (!ch.isOpen()) {
                break;
            }
            ByteBuf b = Unpooled.wrappedBuffer(part);
            fed.add(b);
            ch.writeInbound(b);
            ch.runPendingTasks();
            drain(ch);
        }
        ch.finishAndReleaseAll();
        fed.forEach(b -> assertEquals(0, b.refCnt(), "an input buffer was not released"));
        assertTrue(alloc.largest() <= MAX + 64, "allocated " + alloc.largest());
    }

    private static void drain(EmbeddedChannel ch) {
        Object m;
        while ((m = ch.readInbound()) != null) {
            ReferenceCountUtil.release(m);
        }
        while ((m = ch.readOutbound()) != null) {
            ReferenceCountUtil.release(m);
        }
    }
}
