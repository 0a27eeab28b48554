/**
 * What keeps one client from hurting the server or its operator: peer text escaped before it is
 * logged, warnings rate-limited per peer, byte budgets, frame and idle timeouts, the shared drain.
 */
package io.mirrorgate.server.guard;
