package io.mirrorgate.client.remote;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;

/**
 * The server refused the connection in the handshake (bad key, no such export, host not
 * allowed, access, fenced): not a network loss, so it is not retried blindly.
 */
public class RemoteRefusedException extends MirrorgateException {
    private static final long serialVersionUID = 1L;

    public RemoteRefusedException(ErrorCode code, String message) {
        super(code, message);
    }
}
