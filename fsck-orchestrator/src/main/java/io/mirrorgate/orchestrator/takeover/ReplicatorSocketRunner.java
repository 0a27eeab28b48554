package io.mirrorgate.orchestrator.takeover;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mirrorgate.common.control.ControlClient;
import io.mirrorgate.orchestrator.platform.CommandRunner;
import io.mirrorgate.replicator.config.ReplicatorConfig;
import io.mirrorgate.common.lifecycle.DaemonThreads;
import io.mirrorgate.common.error.ErrorCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the replicator's {@code fence}, {@code role} and {@code status --json} commands over its
 * control socket (one JSON line each way) instead of starting a replicator JVM for each: the
 * same requests the command line sends, the same exit codes (0 done, 65 refused, 66 no such
 * resource, 69 not running), in milliseconds instead of the half second a JVM takes to start,
 * which is most of a takeover's time. Every other command goes to the delegate.
 *
 * <p>The socket is the {@code control} of the replicator configuration named by the configured
 * {@code replicator} command's {@code -c} (or the default configuration file). When that file
 * cannot be read, the runner is not used and the command line is.
 */
public final class ReplicatorSocketRunner implements CommandRunner {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicatorSocketRunner.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path DEFAULT_CONFIG = Path.of("/etc/mirrorgate/replicator.toml");

    private final List<String> prefix;
    private final Path socket;
    private final CommandRunner delegate;
    private final ExecutorService calls = Executors.newCachedThreadPool(DaemonThreads.numbered("replicator-control"));

    private ReplicatorSocketRunner(List<String> prefix, Path socket, CommandRunner delegate) {
        this.prefix = List.copyOf(prefix);
        this.socket = socket;
        this.delegate = delegate;
    }

    /**
     * {@code delegate}, with the replicator's commands ({@code replicator} argv prefix) sent over
     * its control socket when its configuration names one; {@code delegate} itself otherwise.
     */
    public static CommandRunner wrap(List<String> replicator, CommandRunner delegate) {
        Optional<Path> socket = controlSocket(replicator);
        if (socket.isEmpty()) {
            return delegate;
        }
        LOG.info("replicator commands go over its control socket path={}", socket.get());
        return new ReplicatorSocketRunner(replicator, socket.get(), delegate);
    }

    /** The control socket of the replicator configuration the command names, when it can be read. */
    static Optional<Path> controlSocket(List<String> replicator) {
        Path config = DEFAULT_CONFIG;
        for (int i = 0; i + 1 < replicator.size(); i++) {
            if (replicator.get(i).equals("-c") || replicator.get(i).equals("--config")) {
                config = Path.of(replicator.get(i + 1));
            }
        }
        if (!Files.isReadable(config)) {
            return Optional.empty();
        }
        try {
            return Optional.of(ReplicatorConfig.load(config).control());
        } catch (RuntimeException e) {
            LOG.warn("cannot read the replicator configuration, using its command line path={} error={}", config,
                    e.getMessage());
            return Optional.empty();
        }
    }

    /** Whether {@code argv} is the replicator's command line. */
    private boolean isReplicator(List<String> argv) {
        return argv.size() > prefix.size() && argv.subList(0, prefix.size()).equals(prefix);
    }

    @Override
    public CompletableFuture<Result> runInBackground(List<String> argv, Duration timeout) {
        // the delegate's own (a gratuitous ARP runs beside the next steps, not before them)
        return isReplicator(argv) ? CompletableFuture.completedFuture(run(argv, Map.of(), timeout))
                : delegate.runInBackground(argv, timeout);
    }

    @Override
    public Result run(List<String> argv, Map<String, String> env, Duration timeout) {
        if (!isReplicator(argv)) {
            return delegate.run(argv, env, timeout);
        }
        List<String> args = argv.subList(prefix.size(), argv.size());
        Map<String, Object> request = new LinkedHashMap<>();
        String command = args.get(0);
        switch (command) {
            case "fence" -> request.put("resource", args.get(1));
            case "role" -> {
                request.put("resource", args.get(1));
                request.put("role", args.get(2));
                request.put("force", args.contains("--force"));
            }
            case "status" -> {
                if (args.size() > 1 && !args.get(1).startsWith("--")) {
                    request.put("resource", args.get(1));
                }
            }
            default -> {
                return delegate.run(argv, env, timeout);
            }
        }
        long start = System.nanoTime();
        Future<JsonNode> call = calls.submit(() -> ControlClient.call(socket, command, request));
        try {
            JsonNode reply = call.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            if (!reply.path("ok").asBoolean(false)) {
                return new Result(exitCode(reply.path("code").asText("EIO")), "", reply.path("error").asText(
                        "request failed"), false, took);
            }
            String out = command.equals("status") ? JSON.writeValueAsString(reply.path("resources"))
                    : reply.path("message").asText("");
            return new Result(0, out + "\n", "", false, took);
        } catch (TimeoutException e) {
            call.cancel(true);
            return new Result(-1, "", "no answer on " + socket + " within " + timeout.toMillis() + "ms", true, timeout);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            String why = cause instanceof IOException ? "the replicator is not running (control socket " + socket
                    + ": " + cause.getMessage() + ")" : String.valueOf(cause);
            return new Result(ReplicatorControl.NOT_RUNNING, "", why, false, Duration.ofNanos(System.nanoTime() - start));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "", "interrupted", false, Duration.ofNanos(System.nanoTime() - start));
        } catch (IOException e) {
            return new Result(-1, "", "cannot print the status: " + e.getMessage(), false, Duration.ZERO);
        }
    }

    /** The replicator command line's exit code for an error code of its control socket. */
    static int exitCode(String code) {
        ErrorCode c;
        try {
            c = ErrorCode.valueOf(code);
        } catch (IllegalArgumentException unknown) {
            return 1;
        }
        return switch (c) {
            case ENOENT -> ReplicatorControl.NO_SUCH_RESOURCE;
            case EINVAL, EPROTO, EBUSY -> ReplicatorControl.REFUSED;
            case ECONNREFUSED, ETIMEDOUT, ESHUTDOWN -> ReplicatorControl.NOT_RUNNING;
            case EACCES, EPERM, EROFS, ESTALE -> 77;
            default -> 74;
        };
    }
}
