package io.mirrorgate.server.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.mirrorgate.server.error.ErrorCode;
import io.mirrorgate.server.error.MirrorgateException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waiting on device futures in tests, with a bound, and checking how they failed. */
public final class Futures {
    /** How long a test waits for one request. */
    public static final long TIMEOUT_SECONDS = 60;

    private Futures() {}

    /** The value of {@code future}; fails the test if it failed or took too long. */
    public static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } catch (ExecutionException e) {
            throw new AssertionError("request failed: " + MirrorgateException.messageOf(e), e);
        } catch (TimeoutException e) {
            throw new AssertionError("request did not complete in " + TIMEOUT_SECONDS + " s", e);
        }
    }

    /** The Mirrorgate failure of {@code future}, asserting that its code is {@code expected}. */
    public static MirrorgateException failure(CompletableFuture<?> future, ErrorCode expected) {
        try {
            Object value = future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return fail("expected a failure with " + expected + " but the request succeeded: "
                    + value);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } catch (TimeoutException e) {
            throw new AssertionError("request did not complete in " + TIMEOUT_SECONDS + " s", e);
        } catch (ExecutionException e) {
            assertEquals(expected, MirrorgateException.codeOf(e),
                    () -> "failure: " + MirrorgateException.messageOf(e));
            if (!(e.getCause() instanceof MirrorgateException)) {
                throw new AssertionError("not a MirrorgateException", e.getCause());
            }
            return (MirrorgateException) e.getCause();
        }
    }
}
