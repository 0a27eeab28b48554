package io.mirrorgate.client.cli;

import io.mirrorgate.common.cli.Subcommand;
import io.mirrorgate.client.attach.Attachment;
import io.mirrorgate.client.remote.RemoteDeviceOptions;
import io.mirrorgate.common.cli.Cli;
import io.mirrorgate.common.cli.ExitCodes;
import io.mirrorgate.common.cli.Keys;
import io.mirrorgate.common.cli.Signals;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.tls.TlsFiles;
import io.mirrorgate.common.net.HostPort;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ggate-client attach}: connect, serve locally over NBD, run until detached. */
@Command(name = "attach", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        description = {"Attach a remote export and serve it on a local NBD endpoint.",
            "Attaches the export PATH (or its NBD export name) of the ggate-server at HOST[:PORT]",
            "and serves it until detached (ggate-client detach ID) or signalled. The first line",
            "of output is the endpoint's URI, e.g. nbd://127.0.0.1:40123/ggate0."})
final class AttachCommand extends Subcommand<GgateClientMain> {
    @Parameters(index = "0", paramLabel = "HOST[:PORT]", description = "The ggate-server (port 3080 by default).")
    String server;

    @Parameters(index = "1", paramLabel = "PATH", description = "The export's path on the server, or its NBD export name.")
    String path;

    @Option(names = {"-k", "--key"}, paramLabel = "KEYFILE", defaultValue = "/etc/mirrorgate/key",
            description = "Shared key file (default: ${DEFAULT-VALUE}).")
    Path keyFile;

    @Option(names = {"-o", "--access"}, paramLabel = "ro|wo|rw", defaultValue = "rw",
            description = "Access to ask for (default: ${DEFAULT-VALUE}).")
    String access;

    @Option(names = "--queue", paramLabel = "N", defaultValue = "64",
            description = "Requests in flight to the server (default: ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--timeout", paramLabel = "S", defaultValue = "30",
            description = "Seconds a request may wait, across reconnections, before it fails "
                    + "with an I/O error (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--nbd-listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:0",
            description = "Local NBD endpoint (default: 127.0.0.1 and a free port).")
    String nbdListen;

    @Option(names = "--node-id", paramLabel = "ID",
            description = "This node's name in the handshake (default: the host name).")
    String nodeId;

    @Option(names = "--epoch", paramLabel = "N", defaultValue = "0",
            description = "Fencing epoch (default: ${DEFAULT-VALUE}).")
    long epoch;

    @Option(names = "--compress", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Ask for LZ4 payload compression (default: on; adaptive: payloads that do "
                    + "not shrink stop the attempts for up to 256 payloads).")
    boolean compress;

    @Option(names = "--tls-cert", paramLabel = "PEM",
            description = "This client's certificate, PEM: connect with TLS (with --tls-key and --tls-ca).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "This client's private key, PEM PKCS#8.")
    Path tlsKey;

    @Option(names = "--tls-ca", paramLabel = "PEM",
            description = "The CA that signs the server's certificate, PEM.")
    Path tlsCa;

    @Override
    public Integer call() throws Exception {
        if (queue < 1 || timeoutSeconds < 1) {
            throw new Cli.UsageException("--queue and --timeout must be at least 1 (got "
                    + queue + " and " + timeoutSeconds + ")");
        }
        HostPort remote = Cli.option(() -> HostPort.parse(server, 3080));
        RemoteDeviceOptions.Builder builder = RemoteDeviceOptions.builder(remote.host(), remote.port(),
                path, Keys.read(keyFile))
                .access(Cli.option(() -> Access.parse(access)))
                .epoch(epoch)
                .compression(compress)
                .queueDepth(queue)
                .requestTimeout(Duration.ofSeconds(timeoutSeconds));
        if (nodeId != null) {
            builder.nodeId(nodeId);
        }
        TlsFiles tls = TlsFiles.of(tlsCert, tlsKey, tlsCa, "--tls-cert", "--tls-key", "--tls-ca");
        if (tls != null) {
            builder.tls(tls.clientContext());
        }
        try (Attachment attachment = start(Cli.option(builder::build))) {
            Signals.onTermination(attachment::detach);
            PrintWriter out = out();
            out.println(attachment.uri());
            out.flush();
            attachment.awaitDetach();
        }
        return ExitCodes.OK;
    }

    private Attachment start(RemoteDeviceOptions options) throws java.io.IOException {
        try {
            return Attachment.start(options, Cli.option(() -> HostPort.parse(nbdListen, 0)), parent.runDirectory());
        } catch (MirrorgateException e) {
            if (options.access() != Access.RO && e.getMessage() != null
                    && (e.getMessage().contains(" is RO for this client")
                            || e.getMessage().contains(" is on a read-only device"))) {
                throw new MirrorgateException(e.code(), e.getMessage()
                        + " (the export is read-only: attach it with -o ro)", e);
            }
            throw e;
        }
    }
}
