/**
 * Lifecycle of what a program opens: closing in reverse order ({@link
 * io.mirrorgate.common.lifecycle.CloseStack}), the graceful-shutdown event of servers, and the one
 * factory of named daemon threads.
 */
package io.mirrorgate.common.lifecycle;
