package io.mirrorgate.server.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

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

    /**
     * Polls {@code condition} (a counter or a state the code under test exposes) every few
     * milliseconds until it holds; fails after {@link #TIMEOUT_SECONDS}. For "X happened before
     * Y" in a test, instead of a sleep that hopes it did.
     */
    public static void awaitCondition(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + TIMEOUT_SECONDS + " s waiting for: " + what);
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for: " + what, e);
            }
        }
    }

    /**
     * Asserts that {@code future} does not complete within {@code window}: "nothing happened",
     * where nothing signals that it will not. A wrong implementation fails as soon as it
     * completes the future; a right one costs the window.
     */
    public static void assertStaysPending(String what, CompletableFuture<?> future, Duration window) {
        try {
            Object value = future.get(window.toNanos(), TimeUnit.NANOSECONDS);
            fail(what + ": completed within " + window + " with " + value);
        } catch (TimeoutException expected) {
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } catch (ExecutionException e) {
            fail(what + ": failed within " + window + ": " + MirrorgateException.messageOf(e));
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
