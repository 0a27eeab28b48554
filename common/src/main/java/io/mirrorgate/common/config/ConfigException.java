package io.mirrorgate.common.config;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;

/**
 * The configuration file is invalid. The message names the file, the resource and the key, and
 * says what was expected, for example {@code /etc/mirrorgate/replicator.toml: resource r0: key
 * region_size: 3MiB is not a power of two (expected: a power of two from 4KiB to 1GiB, e.g. "4MiB")}.
 */
public final class ConfigException extends MirrorgateException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(ErrorCode.EINVAL, message);
    }

    public ConfigException(String message, Throwable cause) {
        super(ErrorCode.EINVAL, message, cause);
    }
}
