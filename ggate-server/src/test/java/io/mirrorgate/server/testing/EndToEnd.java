package io.mirrorgate.server.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * An end-to-end test: it starts real daemons or child JVMs, or drives external tools (qemu-img,
 * nbdinfo, nbdcopy, nbdfuse, nbdkit, mkfs/e2fsck, losetup, ip/nsenter/arping), or runs the demo.
 * Tagged {@value #TAG}: Surefire runs these in their own execution ({@code e2e}) after the unit
 * tests of the module ({@code default-test}, which excludes the tag); {@code mvn test} runs both.
 * A missing tool still skips locally and fails under {@code CI=true} ({@link ExternalTools}).
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag(EndToEnd.TAG)
public @interface EndToEnd {
    /** The JUnit tag, as the parent pom's Surefire executions name it. */
    String TAG = "e2e";
}
