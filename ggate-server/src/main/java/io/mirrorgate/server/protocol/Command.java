package io.mirrorgate.server.protocol;

/** The request commands of the ggate protocol and their wire codes. */
public enum Command {
    READ(1, false, false),
    WRITE(2, true, true),
    FLUSH(3, false, false),
    TRIM(4, false, true),
    WRITE_ZEROES(5, false, true),
    /** Sets the export's generation; the payload is the generation as a u64. */
    SET_GENERATION(6, true, true),
    /** Asks the server to finish the requests in flight, reply, and close. */
    DISCONNECT(7, false, false),
    /**
     * The replication handshake between two replicators: the payload is the primary's peer
     * information, the reply's payload the secondary's (opaque to the ggate layer; see the
     * replicator's {@code PeerInfo}). Only on connections that negotiated {@link
     * GgateProtocol#FEATURE_PEER}.
     */
    PEER_INFO(8, true, false),
    /**
     * The allocation of a range: the reply's payload is its extents ({@link ExtentList}). Only
     * on connections that negotiated {@link GgateProtocol#FEATURE_ALLOCATION}.
     */
    BLOCK_STATUS(9, false, false),
    /**
     * Several ranges written in one request: the payload is a range table and their data
     * ({@link ScatterPayload}); the offset is the first range's, for logs. Only on connections
     * that negotiated {@link GgateProtocol#FEATURE_SCATTER}.
     */
    WRITE_SCATTERED(10, true, true);

    private final int code;
    private final boolean hasPayload;
    private final boolean mutating;

    Command(int code, boolean hasPayload, boolean mutating) {
        this.code = code;
        this.hasPayload = hasPayload;
        this.mutating = mutating;
    }

    public int code() {
        return code;
    }

    /** Whether a request with this command carries a payload. */
    public boolean hasPayload() {
        return hasPayload;
    }

    /** Whether the command changes the export (needs write access and a current epoch). */
    public boolean mutating() {
        return mutating;
    }

    /** The command for a wire code, or null when the code is unknown. */
    public static Command fromCode(int code) {
        for (Command c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return null;
    }
}
