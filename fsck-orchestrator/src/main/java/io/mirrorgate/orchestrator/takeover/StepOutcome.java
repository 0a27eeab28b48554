package io.mirrorgate.orchestrator.takeover;

/** How one step of a plan ended. */
public enum StepOutcome {
    /** Started and not finished: the process died during it (or it is still running). */
    RUNNING,
    /** Done (including "was already done"). */
    OK,
    /** Failed: the plan stopped here. */
    FAILED,
    /** Not run, because an earlier step failed. */
    NOT_RUN;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    public static StepOutcome parse(String label) {
        return valueOf(label.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
    }
}
