package io.mirrorgate.common.lifecycle;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What a component opened, closed in reverse order (Agrona's {@code CloseHelper.closeAll},
 * BookKeeper's lifecycle stack): every close is attempted, the first failure is thrown and the
 * later ones are added to it as suppressed.
 *
 * <pre>{@code
 * CloseStack opened = new CloseStack("ggate-server");
 * try {
 *     Device d = opened.push(open(...));
 *     ...
 * } catch (RuntimeException e) {
 *     opened.closeAfter(e);     // a constructor that fails half way closes what it opened
 *     throw e;
 * }
 * }</pre>
 */
public final class CloseStack implements AutoCloseable {
    private final String owner;
    private final Deque<AutoCloseable> stack = new ArrayDeque<>();

    /** {@code owner} names the component in the message of a close failure. */
    public CloseStack(String owner) {
        this.owner = owner;
    }

    /** Registers {@code closeable} to be closed before everything pushed earlier; returns it. */
    public synchronized <T extends AutoCloseable> T push(T closeable) {
        stack.push(closeable);
        return closeable;
    }

    /**
     * Closes everything; a failure (the first, with the later ones suppressed) is thrown as a
     * {@link MirrorgateException} after every close was attempted. Idempotent.
     */
    @Override
    public void close() {
        RuntimeException failure = closeAll(null);
        if (failure != null) {
            throw failure;
        }
    }

    /** Closes everything after {@code primary} failed; close failures are suppressed into it. */
    public void closeAfter(Throwable primary) {
        closeAll(primary);
    }

    private RuntimeException closeAll(Throwable primary) {
        RuntimeException failure = null;
        while (true) {
            AutoCloseable next;
            synchronized (this) {
                next = stack.poll();
            }
            if (next == null) {
                return failure;
            }
            try {
                next.close();
            } catch (Exception e) {
                if (primary != null) {
                    primary.addSuppressed(e);
                } else if (failure == null) {
                    failure = e instanceof MirrorgateException m ? m : new MirrorgateException(
                            MirrorgateException.codeOf(e), owner + ": closing failed: "
                                    + MirrorgateException.messageOf(e), e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
    }
}
