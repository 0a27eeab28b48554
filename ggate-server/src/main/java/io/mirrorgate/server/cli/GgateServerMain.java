package io.mirrorgate.server.cli;

import io.mirrorgate.common.cli.Cli;
import io.mirrorgate.common.cli.ExitCodes;
import io.mirrorgate.common.cli.Sizes;
import io.mirrorgate.server.daemon.GgateDaemon;
import io.mirrorgate.server.device.LocalDeviceOptions;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.guard.ConnectionLimits;
import io.mirrorgate.server.tls.ServerTls;
import io.mirrorgate.server.tls.TlsFiles;
import io.mirrorgate.server.tls.TlsMode;
import io.mirrorgate.server.export.ExportsFile;
import io.mirrorgate.server.ggate.ExportStateStore;
import io.mirrorgate.common.net.HostPort;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ggate-server}: exports local disks and image files over the ggate protocol and NBD (the
 * {@code ggated} of Mirrorgate). Runs in the foreground until SIGTERM or SIGINT, then drains.
 */
@Command(name = "ggate-server", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        subcommands = {KeygenCommand.class, CheckCommand.class},
        description = {
            "Export disks and image files over the ggate protocol and NBD.",
            "",
            "Serves the exports listed in the exports file, one per line:",
            "  host-or-network[/mask]  RO|WO|RW  path  [nbd-export-name]",
            "A client gets the access of the first line that matches its address.",
            "Runs in the foreground; SIGTERM lets requests in flight finish, then exits."},
        footer = {"", "Exit codes: 0 stopped cleanly, 64 usage, 65 bad exports file or key,",
            "66 missing file, 69 cannot listen, 74 I/O error."})
public final class GgateServerMain implements Callable<Integer> {

    @Option(names = {"-e", "--exports"}, paramLabel = "FILE", defaultValue = "/etc/mirrorgate/exports",
            description = "Exports file (default: ${DEFAULT-VALUE}).")
    Path exports;

    @Option(names = {"-l", "--listen"}, paramLabel = "HOST:PORT", defaultValue = "0.0.0.0:3080",
            description = "Address of the ggate protocol (default: ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--nbd-listen", paramLabel = "HOST:PORT|off", defaultValue = "127.0.0.1:10809",
            description = "Address of the NBD server, or 'off' (default: ${DEFAULT-VALUE}).")
    String nbdListen;

    @Option(names = {"-k", "--key"}, paramLabel = "KEYFILE", defaultValue = "/etc/mirrorgate/key",
            description = "Shared key file of the ggate protocol (default: ${DEFAULT-VALUE}).")
    Path keyFile;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Where per-export epochs and generations are kept (default: "
                    + "/var/lib/mirrorgate/ggate-server).")
    Path stateDir = ExportStateStore.DEFAULT_DIRECTORY;

    @Option(names = "--direct-io", description = "Open export devices with O_DIRECT.")
    boolean directIo;

    @Option(names = "--io-threads", paramLabel = "N", defaultValue = "4",
            description = "I/O threads per export device (default: ${DEFAULT-VALUE}).")
    int ioThreads;

    @Option(names = "--max-request", paramLabel = "SIZE", defaultValue = "32M",
            converter = Sizes.Converter.class,
            description = "Largest request payload accepted (default: ${DEFAULT-VALUE}).")
    long maxRequest;

    @Option(names = "--max-connection-bytes", paramLabel = "SIZE", defaultValue = "64M",
            converter = Sizes.Converter.class,
            description = "Request bytes in flight per connection before it stops being read, at"
                    + " least --max-request (default: ${DEFAULT-VALUE}).")
    long connectionBytes;

    @Option(names = "--max-server-bytes", paramLabel = "SIZE", converter = Sizes.Converter.class,
            description = "Request bytes in flight across all connections of a protocol before"
                    + " reading pauses (default: a quarter of the JVM's direct memory, which is"
                    + " -XX:MaxDirectMemorySize or else the heap's maximum; at most 1G).")
    Long serverBytes;

    @Option(names = "--frame-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "Close a connection whose partial frame or unread replies make no"
                    + " progress for this long (default: ${DEFAULT-VALUE}).")
    long frameTimeout;

    @Option(names = "--idle-timeout", paramLabel = "SECONDS", defaultValue = "0",
            description = "Close a connection that sends and receives nothing for this long;"
                    + " 0: never, as kernel NBD clients may idle for hours (default: ${DEFAULT-VALUE}).")
    long idleTimeout;

    @Option(names = "--drain-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "How long a shutdown waits for the last replies to be read"
                    + " (default: ${DEFAULT-VALUE}).")
    long drainTimeout;

    @Option(names = "--tls", paramLabel = "off|allow|require",
            description = "TLS on both protocols: off, allow (plaintext still served) or require"
                    + " (default: require when the certificate files are given, else off).")
    String tls;

    @Option(names = "--tls-cert", paramLabel = "PEM",
            description = "This server's certificate (chain), PEM.")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM",
            description = "This server's private key, PEM PKCS#8.")
    Path tlsKey;

    @Option(names = "--tls-ca", paramLabel = "PEM",
            description = "The CA that signs client certificates, PEM: clients must present one.")
    Path tlsCa;

    @Option(names = "--verbose", description = "Print stack traces of failures.")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        if (maxRequest > Integer.MAX_VALUE) {
            throw new Cli.UsageException("--max-request: " + maxRequest
                    + " (expected: < 2 GiB)");
        }
        GgateDaemon.Settings settings = new GgateDaemon.Settings(exports,
                Cli.option(() -> HostPort.parse(listen, 3080)),
                "off".equalsIgnoreCase(nbdListen) ? null : Cli.option(() -> HostPort.parse(nbdListen, 10809)),
                keyFile, stateDir,
                LocalDeviceOptions.defaults().withDirectIo(directIo).withIoThreads(ioThreads),
                (int) maxRequest, limits(), serverTls());
        try (GgateDaemon daemon = GgateDaemon.start(settings)) {
            Cli.serveUntilTerminated(spec, "ggate-server listening ggate=" + HostPort.of(daemon.ggateAddress())
                    + " nbd=" + (daemon.nbdAddress() != null ? HostPort.of(daemon.nbdAddress()) : "off")
                    + " exports=" + daemon.registry().exportsFile().exports().size());
        }
        return ExitCodes.OK;
    }

    private ServerTls serverTls() {
        TlsFiles files = TlsFiles.of(tlsCert, tlsKey, tlsCa, "--tls-cert", "--tls-key", "--tls-ca");
        try {
            TlsMode mode = tls != null ? TlsMode.parse(tls)
                    : files != null ? TlsMode.REQUIRE : TlsMode.OFF;
            return ServerTls.of(mode, files);
        } catch (IllegalArgumentException e) {
            throw new MirrorgateException(ErrorCode.EINVAL, e.getMessage());
        }
    }

    private ConnectionLimits limits() {
        try {
            // a connection can always have its largest request in flight
            return ConnectionLimits.defaults()
                    .withConnectionBytes(Math.max(connectionBytes, maxRequest))
                    .withServerBytes(serverBytes != null ? serverBytes : ConnectionLimits.defaultServerBytes())
                    .withFrameTimeout(Duration.ofSeconds(frameTimeout))
                    .withIdleTimeout(Duration.ofSeconds(idleTimeout))
                    .withDrainTimeout(Duration.ofSeconds(drainTimeout));
        } catch (IllegalArgumentException e) {
            throw new MirrorgateException(ErrorCode.EINVAL, e.getMessage());
        }
    }

    public static CommandLine newCommandLine(PrintWriter out, PrintWriter err) {
        return Cli.newCommandLine(new GgateServerMain(), out, err);
    }

    public static void main(String[] args) {
        Cli.main(GgateServerMain::newCommandLine, args);
    }
}
