package io.mirrorgate.common.error;

/**
 * Stable error codes of Mirrorgate. Each maps to the Linux errno value that travels on the
 * wire (ggate replies and NBD replies), so that a client can turn it back into the same code.
 */
public enum ErrorCode {
    OK(0),
    /** Operation not permitted: the export's access mode forbids it (for example WO read). */
    EPERM(1),
    /** No such export. */
    ENOENT(2),
    /** Input/output error on the device or the link. */
    EIO(5),
    /** Out of memory or over a configured buffer limit. */
    ENOMEM(12),
    /** Busy: the resource is in a role or state that refuses the request now (for example primary on both nodes). */
    EBUSY(16),
    /** Access refused: host not allowed or authentication failed. */
    EACCES(13),
    /** Invalid request: misaligned, bad flags, malformed. */
    EINVAL(22),
    /** No space left on the device. */
    ENOSPC(28),
    /** Write to a read-only export. */
    EROFS(30),
    /** Protocol error: a frame that does not follow the protocol. */
    EPROTO(71),
    /** Payload checksum mismatch. */
    EBADMSG(74),
    /** Offset or length past the end of the device. */
    EOVERFLOW(75),
    /** A listen address is taken by another program (never sent on the wire). */
    EADDRINUSE(98),
    /** Request larger than the negotiated maximum. */
    EMSGSIZE(90),
    /** Operation not supported by this device or peer. */
    ENOTSUP(95),
    /** The connection was lost with the request unanswered (and it is not sent again). */
    ECONNRESET(104),
    /** The server or device is shutting down. */
    ESHUTDOWN(108),
    /** The request timed out. */
    ETIMEDOUT(110),
    /** Connection refused: peer not reachable. */
    ECONNREFUSED(111),
    /** Fenced: the request carries an epoch older than the one the server has seen. */
    ESTALE(116);

    private final int errno;

    ErrorCode(int errno) {
        this.errno = errno;
    }

    /** The Linux errno value of this code, as sent on the wire. */
    public int errno() {
        return errno;
    }

    /** The code for a wire errno value; unknown values map to {@link #EIO}. */
    public static ErrorCode fromErrno(int errno) {
        for (ErrorCode code : values()) {
            if (code.errno == errno) {
                return code;
            }
        }
        return EIO;
    }
}
