package io.mirrorgate.server.transport;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.common.error.Reasons;

/**
 * The failure of a listener to bind, worded for the operator: which listener, which address,
 * why, and which option chooses another address. {@code EADDRINUSE} when the address is taken
 * (exit 69), {@code EACCES} when the port is privileged, {@code EIO} otherwise.
 */
public final class ListenFailure {
    private ListenFailure() {}

    /**
     * {@code cannot listen for NBD on 127.0.0.1:10809: address already in use (another program
     * listens there; choose another address with --nbd-listen)}.
     *
     * @param listener what listens: {@code ggate}, {@code NBD}, {@code metrics}
     * @param address where
     * @param option the option or configuration key that chooses the address
     */
    public static MirrorgateException of(String listener, Object address, String option, Throwable cause) {
        String reason = MirrorgateException.messageOf(cause);
        ErrorCode code = ErrorCode.EIO;
        String hint = "";
        if (Reasons.addressInUse(cause)) {
            code = ErrorCode.EADDRINUSE;
            reason = "address already in use";
            hint = " (another program listens there; choose another address with " + option + ")";
        } else if (reason.toLowerCase(java.util.Locale.ROOT).contains("permission denied")) {
            code = ErrorCode.EACCES;
            reason = "permission denied";
            hint = " (ports below 1024 need root; choose another address with " + option + ")";
        } else if (reason.contains("Cannot assign requested address")
                || reason.contains("cannot assign requested address")) {
            reason = "no such local address";
            hint = " (expected: an address of this machine, 0.0.0.0 for all; see " + option + ")";
        }
        return new MirrorgateException(code, "cannot listen for " + listener + " on " + address + ": "
                + reason + hint, cause);
    }
}
