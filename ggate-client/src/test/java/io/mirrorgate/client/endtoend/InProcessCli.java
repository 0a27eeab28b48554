package io.mirrorgate.client.endtoend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mirrorgate.client.cli.GgateClientMain;
import io.mirrorgate.server.cli.GgateServerMain;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine;

/**
 * Runs a Mirrorgate program's command line in this JVM with captured output: the short-lived
 * commands ({@code list}, {@code detach}, {@code rescue}, {@code --help}) that talk to the real
 * attach and server processes.
 */
record InProcessCli(int exitCode, String out, String err) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Runs {@code ggate-client args...}. */
    static InProcessCli client(String... args) {
        return run(GgateClientMain::newCommandLine, args);
    }

    /** Runs {@code ggate-server args...} (only subcommands and options that return). */
    static InProcessCli server(String... args) {
        return run(GgateServerMain::newCommandLine, args);
    }

    private static InProcessCli run(java.util.function.BiFunction<PrintWriter, PrintWriter, CommandLine> cli,
            String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code;
        try (PrintWriter o = new PrintWriter(out); PrintWriter e = new PrintWriter(err)) {
            code = cli.apply(o, e).execute(args);
        }
        return new InProcessCli(code, out.toString(), err.toString());
    }

    /** Fails with the output unless the exit code is 0. */
    InProcessCli assertSuccess() {
        if (exitCode != 0) {
            throw new AssertionError("exit " + exitCode + "\nstdout: " + out + "\nstderr: " + err);
        }
        return this;
    }

    /** stdout parsed as JSON. */
    JsonNode json() {
        try {
            return JSON.readTree(out);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + out, e);
        }
    }
}
