package io.mirrorgate.server.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The child JVMs of one test: register with {@code @RegisterExtension}, start processes through
 * it, and after each test (after the test's own {@code @AfterEach}) every process still running
 * is killed; when the test failed, each process's stdout and stderr are printed.
 */
public final class ProcessGroup implements AfterEachCallback {
    private final List<JavaProcess> processes = new ArrayList<>();

    /** Starts {@code main} in a child JVM; stderr goes to {@code logDir/name.log}. */
    public synchronized JavaProcess start(String name, Path logDir, Class<?> main, List<String> args)
            throws IOException {
        JavaProcess p = JavaProcess.start(name, logDir, main, args);
        processes.add(p);
        return p;
    }

    @Override
    public synchronized void afterEach(ExtensionContext context) throws InterruptedException {
        boolean failed = context.getExecutionException().isPresent();
        try {
            for (JavaProcess p : processes) {
                p.close();
                if (failed) {
                    System.err.println(p.story());
                }
            }
        } finally {
            processes.clear();
        }
    }
}
