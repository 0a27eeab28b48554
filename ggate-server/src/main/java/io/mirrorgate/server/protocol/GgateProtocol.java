package io.mirrorgate.server.protocol;

/** Constants of the ggate wire protocol: magic, version, frame types, flags, features, limits. */
public final class GgateProtocol {
    private GgateProtocol() {}

    /** The first four bytes of every frame: "MGGT". */
    public static final int MAGIC = 0x4D474754;
    /** The protocol version this code speaks. */
    public static final int VERSION = 1;

    /** Length of the frame header: magic, type, flags, reserved, body length. */
    public static final int HEADER_LENGTH = 12;

    public static final int TYPE_HELLO = 1;
    public static final int TYPE_CHALLENGE = 2;
    public static final int TYPE_AUTH = 3;
    public static final int TYPE_WELCOME = 4;
    public static final int TYPE_REQUEST = 5;
    public static final int TYPE_REPLY = 6;

    /** Request flag: force unit access (write and write-zeroes are durable on reply). */
    public static final int FLAG_FUA = 0x01;
    /** Frame flag: the payload is LZ4-compressed (the CRC32C is over the uncompressed bytes). */
    public static final int FLAG_COMPRESSED = 0x02;
    /**
     * Request flag (WRITE_ZEROES, with {@link #FEATURE_ALLOCATION}): the range must stay
     * allocated.
     */
    public static final int FLAG_NO_HOLE = 0x04;
    /**
     * Request flag (WRITE_ZEROES, with {@link #FEATURE_ALLOCATION}): fail with ENOTSUP at once
     * unless the zeroing is fast.
     */
    public static final int FLAG_FAST_ZERO = 0x08;
    /** Every flag bit this version knows. */
    public static final int KNOWN_FLAGS = FLAG_FUA | FLAG_COMPRESSED | FLAG_NO_HOLE | FLAG_FAST_ZERO;

    /** Feature bit: LZ4 payload compression. */
    public static final int FEATURE_LZ4 = 0x01;
    /**
     * Feature bit: the export is a replicator's replica that answers {@link Command#PEER_INFO}.
     * Granted only by exports that have a {@link io.mirrorgate.server.export.ReplicationEndpoint}.
     */
    public static final int FEATURE_PEER = 0x02;
    /**
     * Feature bit: the server answers {@link Command#BLOCK_STATUS} and knows the WRITE_ZEROES
     * flags {@link #FLAG_NO_HOLE} and {@link #FLAG_FAST_ZERO}. A client sends neither to a
     * server that did not grant it (an older server would close the connection).
     */
    public static final int FEATURE_ALLOCATION = 0x04;
    /**
     * Feature bit: the server takes {@link Command#WRITE_SCATTERED}, many small ranges in one
     * request (a resync of scattered blocks). A client sends it to no server that did not grant
     * it: an older one would refuse the command.
     */
    public static final int FEATURE_SCATTER = 0x08;
    /** Every feature this version supports. */
    public static final int SUPPORTED_FEATURES = FEATURE_LZ4 | FEATURE_PEER | FEATURE_ALLOCATION
            | FEATURE_SCATTER;

    /** Length of the client and server nonces. */
    public static final int NONCE_LENGTH = 32;
    /** Length of an HMAC-SHA256 proof. */
    public static final int PROOF_LENGTH = 32;

    /** Largest body of a handshake frame (hello, challenge, auth, welcome). */
    public static final int MAX_HANDSHAKE_BODY = 8192;
    /** Largest export name or node id, in UTF-8 bytes. */
    public static final int MAX_NAME_LENGTH = 2048;
    /** Largest reason text in a reply, in UTF-8 bytes (longer reasons are cut). */
    public static final int MAX_REASON_LENGTH = 1024;

    /** Default and usual maximum payload of one request or reply: 32 MiB. */
    public static final int DEFAULT_MAX_REQUEST_SIZE = 32 * 1024 * 1024;
    /** The smallest maximum request size a peer may announce. */
    public static final int MIN_MAX_REQUEST_SIZE = 4096;

    /** Fixed part of a request body (before the payload). */
    public static final int REQUEST_FIXED_LENGTH = 28;
    /** Fixed part of a reply body (before the reason and the payload). */
    public static final int REPLY_FIXED_LENGTH = 22;

    /** Largest body of a request frame carrying {@code maxRequestSize} payload bytes. */
    public static long maxRequestBody(int maxRequestSize) {
        return REQUEST_FIXED_LENGTH + (long) maxRequestSize;
    }

    /** Largest body of a reply frame carrying {@code maxRequestSize} payload bytes. */
    public static long maxReplyBody(int maxRequestSize) {
        return REPLY_FIXED_LENGTH + (long) MAX_REASON_LENGTH + maxRequestSize;
    }
}
