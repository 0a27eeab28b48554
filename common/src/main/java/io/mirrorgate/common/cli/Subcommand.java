package io.mirrorgate.common.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;

/**
 * A subcommand of a Mirrorgate program: picocli injects its program's root command {@code P}
 * (which holds the options every subcommand inherits, such as the configuration file) and its own
 * spec (its output, for tests to capture).
 *
 * @param <P> the root command of the program
 */
public abstract class Subcommand<P> implements Callable<Integer> {
    /** The program's root command. */
    @CommandLine.ParentCommand
    protected P parent;

    /** This subcommand as picocli parsed it. */
    @CommandLine.Spec
    protected CommandLine.Model.CommandSpec spec;

    /** Where this subcommand prints its results. */
    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }
}
