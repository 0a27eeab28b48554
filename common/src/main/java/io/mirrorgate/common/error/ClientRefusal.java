package io.mirrorgate.common.error;

/**
 * A refusal whose message goes to the client and whose {@link #detail()} (paths, files, rules)
 * goes to the server's log only: a client the exports file does not admit learns nothing about
 * the server's layout.
 */
public final class ClientRefusal extends MirrorgateException {
    private static final long serialVersionUID = 1L;

    private final String detail;

    /** {@code clientMessage} is sent; {@code detail} is logged. */
    public ClientRefusal(ErrorCode code, String clientMessage, String detail) {
        super(code, clientMessage);
        this.detail = detail;
    }

    /** The full reason, for the server's log. */
    public String detail() {
        return detail;
    }

    /** The full reason of any failure: a refusal's detail, else its message. */
    public static String detailOf(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ClientRefusal r) {
                return r.detail();
            }
        }
        return MirrorgateException.messageOf(failure);
    }
}
