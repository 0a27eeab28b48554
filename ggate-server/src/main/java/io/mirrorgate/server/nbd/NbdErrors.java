package io.mirrorgate.server.nbd;

import io.mirrorgate.server.nbdprotocol.NbdConstants;
import io.mirrorgate.common.error.ClientRefusal;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.server.guard.LogText;
import io.mirrorgate.server.guard.PeerWarnings;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.slf4j.Logger;

/** Maps Mirrorgate error codes to the errno values NBD allows, and other shared connection bits. */
final class NbdErrors {
    private NbdErrors() {}

    /**
     * The NBD errno for {@code code}. NBD allows only EPERM, EIO, ENOMEM, EINVAL, ENOSPC,
     * EOVERFLOW, ENOTSUP and ESHUTDOWN; EOVERFLOW only once structured replies are negotiated.
     */
    static int errno(ErrorCode code, boolean structured) {
        return switch (code) {
            case OK -> 0;
            case EPERM, EROFS, EACCES, ESTALE -> NbdConstants.EPERM;
            case ENOMEM -> NbdConstants.ENOMEM;
            case EINVAL, ENOENT, EPROTO, EOVERFLOW -> NbdConstants.EINVAL;
            case ENOSPC -> NbdConstants.ENOSPC;
            case EMSGSIZE -> structured ? NbdConstants.EOVERFLOW : NbdConstants.EINVAL;
            case ENOTSUP -> NbdConstants.ENOTSUP;
            case ESHUTDOWN -> NbdConstants.ESHUTDOWN;
            case EIO, EBADMSG, ETIMEDOUT, ECONNREFUSED, ECONNRESET, EADDRINUSE, EBUSY ->
                    NbdConstants.EIO;
        };
    }

    /** The client's address; a channel without an IP peer (an embedded test channel) is local. */
    static InetAddress clientAddress(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress isa
                && isa.getAddress() != null ? isa.getAddress() : InetAddress.getLoopbackAddress();
    }

    /** {@code message} cut to the protocol's longest string (4096 UTF-8 bytes); null is empty. */
    static String truncate(String message) {
        String m = message == null ? "" : message;
        while (ByteBufUtil.utf8Bytes(m) > NbdConstants.MAX_STRING) {
            m = m.substring(0, m.length() / 2);
        }
        return m;
    }

    /** Logs a protocol violation or I/O failure once, with the peer, and closes the channel. */
    static void closeOnFailure(ChannelHandlerContext ctx, Throwable cause, Logger log) {
        if (ctx.channel().isActive()) {
            long suppressed = PeerWarnings.permit(ctx.channel());
            if (suppressed >= 0) {
                log.warn("nbd connection closed peer={} reason=\"{}\" suppressed={}",
                        ctx.channel().remoteAddress(),
                        LogText.escape(ClientRefusal.detailOf(cause)), suppressed);
            }
            log.debug("nbd connection failure peer={}", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }
}
