package io.mirrorgate.client.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.Export;
import io.mirrorgate.server.export.ExportResolver;
import io.mirrorgate.server.ggate.GgateServerChannelInitializer;
import io.mirrorgate.server.ggate.GgateServerConfig;
import io.mirrorgate.server.protocol.GgateProtocol;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import io.mirrorgate.server.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A real server whose read replies get their CRC32C flipped on the way out. */
@Timeout(30)
class ReadCrcMismatchTest {
    @TempDir
    Path stateDir;
    EventLoopGroup group;
    GgateServerChannelInitializer ggate;
    Channel listener;
    final MemoryBlockDevice disk = new MemoryBlockDevice("disk", 1 << 20, 4096, false);
    final AtomicBoolean corrupt = new AtomicBoolean(true);

    /** Flips a bit of the CRC field of reply frames that carry a payload. */
    final class CorruptReplyCrc extends ChannelOutboundHandlerAdapter {
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            if (corrupt.get() && msg instanceof ByteBuf buf && buf.readableBytes() >= GgateProtocol.HEADER_LENGTH + GgateProtocol.REPLY_FIXED_LENGTH
                    && buf.getInt(buf.readerIndex()) == GgateProtocol.MAGIC
                    && buf.getByte(buf.readerIndex() + 4) == GgateProtocol.TYPE_REPLY
                    && buf.getInt(buf.readerIndex() + 28) > 0) {
                int crcAt = buf.readerIndex() + GgateProtocol.HEADER_LENGTH + 12;
                buf.setInt(crcAt, buf.getInt(crcAt) ^ 1);
            }
            super.write(ctx, msg, promise);
        }
    }

    @AfterEach
    void stop() throws Exception {
        if (listener != null) {
            listener.close().sync();
        }
        ggate.channels().close().await(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        ggate.close();
    }

    @Test
    void aReadWhosePayloadFailsItsCrcFailsWithEbadmsg() throws Exception {
        ExportResolver resolver = new ExportResolver() {
            @Override
            public Export resolve(String name, InetAddress client) {
                return new Export(name, disk, Access.RW);
            }

            @Override
            public List<String> list(InetAddress client) {
                return List.of("/disk");
            }
        };
        group = Transport.newGroup(1, "crc-test-server");
        ggate = new GgateServerChannelInitializer(GgateServerConfig.of(resolver, RemoteFixture.KEY, stateDir));
        listener = new ServerBootstrap().group(group).channel(Transport.serverChannel())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new CorruptReplyCrc(), ggate);
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        int port = ((InetSocketAddress) listener.localAddress()).getPort();
        try (RemoteBlockDevice remote = RemoteBlockDevice.connect(
                RemoteDeviceOptions.builder("127.0.0.1", port, "/disk", RemoteFixture.KEY).build())) {
            ByteBuf block = Unpooled.wrappedBuffer(new byte[4096]);
            remote.write(0, block, false).get(10, TimeUnit.SECONDS);
            block.release();
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> remote.read(0, 4096).get(10, TimeUnit.SECONDS));
            MirrorgateException m = assertInstanceOf(MirrorgateException.class, e.getCause());
            assertEquals(ErrorCode.EBADMSG, m.code());
            assertTrue(m.getMessage().contains("CRC32C"), m.getMessage());
            corrupt.set(false);
            remote.read(0, 4096).get(10, TimeUnit.SECONDS).release();
        }
    }
}
