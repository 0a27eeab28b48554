package io.mirrorgate.common.cli;

/**
 * Exit codes of every Mirrorgate program, stable so that scripts can rely on them (the sysexits
 * values where one fits).
 */
public final class ExitCodes {
    private ExitCodes() {}

    /** Success. */
    public static final int OK = 0;
    /** A generic failure (the message says which). */
    public static final int FAILURE = 1;
    /** Bad command line. */
    public static final int USAGE = 64;
    /** Input data was wrong (a malformed exports or config file). */
    public static final int DATA_ERROR = 65;
    /** The named thing does not exist (attachment, resource, export). */
    public static final int NO_SUCH = 66;
    /** A service or peer was unavailable (connection refused, timed out). */
    public static final int UNAVAILABLE = 69;
    /** An I/O error. */
    public static final int IO_ERROR = 74;
    /** Permission or authentication refused. */
    public static final int NO_PERMISSION = 77;
    /** Split brain: the replicas diverged and the operator must choose. */
    public static final int SPLIT_BRAIN = 78;
}
