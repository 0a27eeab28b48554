package io.mirrorgate.common.error;

/**
 * The unchecked exception root of Mirrorgate. It always carries an {@link ErrorCode}, which is
 * what travels on the wire when the failure belongs to a request. Messages say what failed,
 * where, and what was expected, so an operator can act on them.
 */
public class MirrorgateException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    public MirrorgateException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public MirrorgateException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    /**
     * The error code of any failure: the code of a Mirrorgate exception found in the cause
     * chain (unwrapping CompletionException and friends), otherwise {@link ErrorCode#EIO}.
     */
    public static ErrorCode codeOf(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof MirrorgateException) {
                return ((MirrorgateException) t).code();
            }
        }
        return ErrorCode.EIO;
    }

    /** The most specific message of a failure, for error replies and logs. */
    public static String messageOf(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof MirrorgateException) {
                return t.getMessage();
            }
        }
        Throwable root = failure;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return Reasons.of(root);
    }
}
