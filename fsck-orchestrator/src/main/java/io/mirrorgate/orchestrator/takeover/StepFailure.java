package io.mirrorgate.orchestrator.takeover;

/** A step could not do its work; the message says what and why, and the plan stops. */
public final class StepFailure extends Exception {
    private static final long serialVersionUID = 1L;

    public StepFailure(String message) {
        super(message);
    }
}
