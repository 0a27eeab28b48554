package io.mirrorgate.server.protocol;

import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.channel.RecvByteBufAllocator;

/**
 * The ggate codec: {@link GgateDecoder} and {@link GgateEncoder} joined. Every frame is a
 * 12-byte header and a body; integers are big-endian, "u" means unsigned.
 *
 * <pre>
 *  0               1               2               3
 *  0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
 * +---------------------------------------------------------------+
 * |                    magic 0x4D474754 ("MGGT")                  |
 * +---------------+---------------+-------------------------------+
 * |   type (u8)   |  flags (u8)   |        reserved (u16)         |
 * +---------------+---------------+-------------------------------+
 * |                    body length (u32)                          |
 * +---------------------------------------------------------------+
 * |                    body ...                                   |
 * +---------------------------------------------------------------+
 * </pre>
 *
 * Types: 1 HELLO ({@link Hello}), 2 CHALLENGE ({@link Challenge}), 3 AUTH ({@link Auth}),
 * 4 WELCOME ({@link Welcome}), 5 REQUEST ({@link Request}), 6 REPLY ({@link Reply}); each
 * record's javadoc draws its body. Flags: 0x01 FUA (requests), 0x02 COMPRESSED (the payload is
 * an LZ4 block; CRC32C and length fields describe the uncompressed bytes). Handshake bodies are
 * at most {@value GgateProtocol#MAX_HANDSHAKE_BODY} bytes; request and reply bodies their fixed
 * part plus the maximum request size (32 MiB by default). The handshake:
 *
 * <pre>
 * client                                   server
 *   HELLO (version, export, access, epoch, nonce_c, node, features)  -&gt;
 *                                          &lt;-  CHALLENGE (version, nonce_s)
 *   AUTH (HMAC(key, client | transcript))  -&gt;
 *                                          &lt;-  WELCOME (OK, figures, HMAC(key, server | transcript))
 *                                              or WELCOME (error, reason) and close
 *   REQUEST ... (pipelined)               -&gt;
 *                                          &lt;-  REPLY ... (any order, one per request)
 * </pre>
 */
public final class GgateCodec extends CombinedChannelDuplexHandler<GgateDecoder, GgateEncoder> {

    /** A codec accepting payloads of at most {@code maxRequestSize} bytes. */
    public GgateCodec(int maxRequestSize) {
        super(new GgateDecoder(maxRequestSize), new GgateEncoder());
    }

    /**
     * A receive allocator for this codec's channel that lets socket reads land directly in the
     * buffer of a large frame being assembled (no copy), and uses {@code delegate} otherwise.
     */
    public RecvByteBufAllocator receiveAllocator(RecvByteBufAllocator delegate) {
        return inboundHandler().receiveAllocator(delegate);
    }

    /** See {@link GgateDecoder#handshakeFirst()}: a server's codec, before authentication. */
    public GgateCodec handshakeFirst() {
        inboundHandler().handshakeFirst();
        return this;
    }

    /** See {@link GgateDecoder#handshakeDone()}. */
    public void handshakeDone() {
        inboundHandler().handshakeDone();
    }

    /** What the decoder holds of a frame not yet complete. */
    public long bufferedBytes() {
        return inboundHandler().bufferedBytes();
    }

    /** The encoder's compression decisions (see {@link AdaptiveCompression}). */
    public AdaptiveCompression adaptiveCompression() {
        return outboundHandler().adaptiveCompression();
    }

    /**
     * Compresses (adaptively: {@link AdaptiveCompression}) and accepts compressed payloads from
     * now on (LZ4 was negotiated).
     */
    public void enableCompression() {
        inboundHandler().enableCompression();
        outboundHandler().enableCompression();
    }
}
