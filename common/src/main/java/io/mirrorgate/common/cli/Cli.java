package io.mirrorgate.common.cli;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.common.error.Reasons;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.CountDownLatch;
import java.util.function.BiFunction;
import picocli.CommandLine;

/**
 * What every Mirrorgate program shares on its command line: one exception handler that prints a
 * one-line reason (the stack trace only with {@code --verbose}), exit codes mapped from error
 * codes, and a version provider.
 */
public final class Cli {
    static {
        // Netty then allocates direct buffers without a Cleaner (the runnable jars open
        // java.nio): when direct memory runs out an allocation fails at once, where the JDK's
        // allocator would put the event loop to sleep, waiting for a GC, and stop every client
        System.getProperties().putIfAbsent("io.netty.tryReflectionSetAccessible", "true");
    }

    private Cli() {}

    /**
     * A value on the command line that the command itself found wrong (picocli finds the others):
     * exit 64 with a one-line reason. Only this, and picocli's own parse errors, exit 64; any other
     * {@link IllegalArgumentException} is a failure of the program, not of its caller's usage.
     */
    public static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public UsageException(String message) {
            super(message);
        }

        UsageException(IllegalArgumentException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** Parses an option's value with {@code parse}, whose {@link IllegalArgumentException} is a usage error. */
    public static <T> T option(java.util.function.Supplier<T> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e);
        }
    }

    /** Builds the command line of a program whose output tests can capture. */
    public static CommandLine newCommandLine(Object root, PrintWriter out, PrintWriter err) {
        CommandLine cmd = new CommandLine(root);
        cmd.setOut(out);
        cmd.setErr(err);
        cmd.setExecutionExceptionHandler(Cli::handleExecutionException);
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        useUsageExitCode(cmd);
        return cmd;
    }

    /**
     * What a program with subcommands does when none is given: says so with the list of
     * commands, prints the usage on stderr and returns 64 (a usage error, as the help footers
     * say), so that a script calling it without a command does not think it succeeded.
     */
    public static int missingSubcommand(CommandLine.Model.CommandSpec spec) {
        PrintWriter err = spec.commandLine().getErr();
        err.println(spec.name() + ": a command is required (expected: one of "
                + String.join(", ", spec.subcommands().keySet().stream()
                        .filter(name -> !name.equals("help")).toList()) + ")");
        spec.commandLine().usage(err);
        err.flush();
        return ExitCodes.USAGE;
    }

    /** The {@code main} of a program: its command line on the standard streams, run, then exit with its code. */
    public static void main(BiFunction<PrintWriter, PrintWriter, CommandLine> newCommandLine, String[] args) {
        System.exit(newCommandLine.apply(new PrintWriter(System.out, true), new PrintWriter(System.err, true))
                .execute(args));
    }

    /**
     * What a daemon's command does once it is serving: prints its one ready line (scripts wait for
     * it), then waits for SIGTERM or SIGINT; the caller then closes the daemon and exits 0.
     */
    public static void serveUntilTerminated(CommandLine.Model.CommandSpec spec, String readyLine)
            throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        Signals.onTermination(stop::countDown);
        PrintWriter out = spec.commandLine().getOut();
        out.println(readyLine);
        out.flush();
        stop.await();
    }

    /** Bad command lines exit 64 (EX_USAGE, as the help footers say), not picocli's default 2. */
    private static void useUsageExitCode(CommandLine cmd) {
        cmd.getCommandSpec().exitCodeOnInvalidInput(ExitCodes.USAGE);
        cmd.getSubcommands().values().forEach(Cli::useUsageExitCode);
    }

    private static int handleExecutionException(
            Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        CommandLine.ParseResult root = cmd.getCommandSpec().root().commandLine().getParseResult();
        boolean verbose = parsed.hasMatchedOption("--verbose")
                || (root != null && root.hasMatchedOption("--verbose"));
        err.println(cmd.getCommandSpec().root().name() + ": " + reason(e));
        if (verbose) {
            e.printStackTrace(err);
        }
        err.flush();
        return exitCode(e);
    }

    /** The one-line reason of a failure. */
    public static String reason(Throwable e) {
        if (e instanceof UsageException) {
            return e.getMessage(); // the parser's own words, not its cause's ("For input string")
        }
        if (e instanceof java.nio.file.FileSystemException) {
            return Reasons.of(e);
        }
        if (e instanceof UncheckedIOException && e.getCause() != null) {
            return reason(e.getCause());
        }
        return MirrorgateException.messageOf(e);
    }

    /** The exit code of a failure. */
    public static int exitCode(Throwable e) {
        if (e instanceof UsageException) {
            return ExitCodes.USAGE;
        }
        if (e instanceof IllegalArgumentException) {
            return ExitCodes.FAILURE;
        }
        if (e instanceof NoSuchFileException) {
            return ExitCodes.NO_SUCH;
        }
        ErrorCode code = MirrorgateException.codeOf(e);
        switch (code) {
            case ENOENT:
                return ExitCodes.NO_SUCH;
            case EACCES:
            case EPERM:
            case EROFS:
            case ESTALE:
                return ExitCodes.NO_PERMISSION;
            case ECONNREFUSED:
            case EADDRINUSE:
            case ETIMEDOUT:
            case ESHUTDOWN:
                return ExitCodes.UNAVAILABLE;
            case EINVAL:
            case EPROTO:
            case EBUSY:
                return ExitCodes.DATA_ERROR;
            default:
                return e instanceof java.io.IOException || e instanceof UncheckedIOException
                        || code == ErrorCode.EIO ? ExitCodes.IO_ERROR : ExitCodes.FAILURE;
        }
    }

    /** {@code --version} for every program: the project version from the jar manifest. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Cli.class.getPackage().getImplementationVersion();
            return new String[] {"${COMMAND-FULL-NAME} " + (v != null ? v : "0.1.0")
                    + " (Mirrorgate, Java ${java.version})"};
        }
    }
}
