package io.mirrorgate.server.cli;

import io.mirrorgate.common.cli.Subcommand;
import io.mirrorgate.common.cli.Cli;
import io.mirrorgate.common.cli.ExitCodes;
import io.mirrorgate.common.cli.Keys;
import io.mirrorgate.server.daemon.GgateDaemon;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.export.ExportRule;
import io.mirrorgate.server.export.ExportsFile;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ggate-server check [-e FILE] [-k KEYFILE]}: validates the exports file (every line, and
 * that every path exists), and the key (readable, long enough), opening no device. The options
 * may stand before or after {@code check}.
 */
@Command(name = "check", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        description = {"Validate the exports file and the key, and print the exports; opens no device.",
            "Every export path must exist; the key must hold at least 16 bytes."})
final class CheckCommand extends Subcommand<GgateServerMain> {
    @Option(names = {"-e", "--exports"}, paramLabel = "FILE",
            description = "Exports file (default: the server's, /etc/mirrorgate/exports).")
    Path exports;

    @Option(names = {"-k", "--key"}, paramLabel = "KEYFILE",
            description = "Shared key file (default: the server's, /etc/mirrorgate/key).")
    Path keyFile;

    @Override
    public Integer call() {
        Path exportsPath = exports != null ? exports : parent.exports;
        Path keyPath = keyFile != null ? keyFile : parent.keyFile;
        ExportsFile file = ExportsFile.load(exportsPath);
        for (ExportRule rule : file.rules()) {
            Path path = Path.of(rule.path());
            if (!Files.exists(path)) {
                throw new MirrorgateException(ErrorCode.ENOENT, exportsPath + ":" + rule.line() + ": path "
                        + path + " does not exist (expected: a regular file or a block device)");
            }
            if (Files.isDirectory(path)) {
                throw new MirrorgateException(ErrorCode.EINVAL, exportsPath + ":" + rule.line() + ": path "
                        + path + " is a directory (expected: a regular file or a block device)");
            }
        }
        byte[] key = Keys.read(keyPath);
        PrintWriter out = out();
        file.rules().forEach(rule -> out.printf("%s:%d: %s %s %s (nbd name: %s)%n", exportsPath,
                rule.line(), rule.hosts(), rule.access(), rule.path(), rule.name()));
        out.printf("%s: %d key bytes, ok%n", keyPath, key.length);
        out.printf("%s: %d exports, ok%n", exportsPath, file.exports().size());
        return ExitCodes.OK;
    }
}
