package io.mirrorgate.server.ggate;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The admitted connections of each client session (export + session id of the hello). When a
 * session reconnects, its older connections are superseded: closed, and the new one is
 * admitted only after their requests in flight have finished. Without this, a write re-sent on
 * the new connection could complete, be followed by a newer write to the same block, and then
 * be overtaken by the stale first copy still queued on the old connection's device.
 */
final class SessionRegistry {
    private final Map<String, List<RequestDispatcher>> sessions = new ConcurrentHashMap<>();

    private static String key(String export, long session) {
        return Long.toHexString(session) + "@" + export;
    }

    /**
     * Closes the earlier connections of the session; the future completes once each of them
     * is closed and idle. Session 0 (a client without a session) supersedes nothing.
     */
    CompletableFuture<Integer> supersede(String export, long session) {
        List<RequestDispatcher> earlier = session == 0 ? null : sessions.get(key(export, session));
        if (earlier == null || earlier.isEmpty()) {
            return CompletableFuture.completedFuture(0);
        }
        List<RequestDispatcher> snapshot = List.copyOf(earlier);
        snapshot.forEach(RequestDispatcher::closeChannel);
        return CompletableFuture.allOf(snapshot.stream().map(RequestDispatcher::idle)
                .toArray(CompletableFuture<?>[]::new)).thenApply(v -> snapshot.size());
    }

    /** Records an admitted connection of the session until it is closed and idle. */
    void register(String export, long session, RequestDispatcher dispatcher) {
        if (session == 0) {
            return;
        }
        String key = key(export, session);
        sessions.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(dispatcher);
        dispatcher.idle().whenComplete((v, e) -> sessions.computeIfPresent(key, (k, list) -> {
            list.remove(dispatcher);
            return list.isEmpty() ? null : list;
        }));
    }
}
