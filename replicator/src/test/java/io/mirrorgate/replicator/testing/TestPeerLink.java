package io.mirrorgate.replicator.testing;

import io.mirrorgate.replicator.mirror.PeerLink;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import io.mirrorgate.server.device.BlockDevice;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A peer link over an in-memory device: {@link #disconnect()} makes the device refuse every
 * request ({@code ECONNREFUSED}) and tells the listeners, {@link #connect()} heals it and tells
 * them again. The generation is what a ggate server would report.
 */
public final class TestPeerLink implements PeerLink {
    private final MemoryBlockDevice memory;
    private final BlockDevice device;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicInteger generationSets = new AtomicInteger();
    private volatile boolean connected;
    private volatile long generation;

    /** @param device what the mirror talks to (memory itself or a decorator of it) */
    public TestPeerLink(MemoryBlockDevice memory, BlockDevice device, long generation,
            boolean connected) {
        this.memory = memory;
        this.device = device;
        this.generation = generation;
        this.connected = connected;
        memory.setFailing(connected ? null : ErrorCode.ECONNREFUSED);
    }

    public TestPeerLink(MemoryBlockDevice memory, long generation, boolean connected) {
        this(memory, memory, generation, connected);
    }

    @Override
    public BlockDevice device() {
        return device;
    }

    @Override
    public boolean isConnected() {
        return connected;
    }

    @Override
    public long generation() {
        return generation;
    }

    /** The peer wrote while apart (for example it was promoted): its generation moves. */
    public void setPeerGeneration(long generation) {
        this.generation = generation;
    }

    @Override
    public CompletableFuture<Void> setGeneration(long generation) {
        if (!connected) {
            return CompletableFuture.failedFuture(new io.mirrorgate.common.error.MirrorgateException(
                    ErrorCode.ECONNREFUSED, "peer away"));
        }
        this.generation = generation;
        generationSets.incrementAndGet();
        return CompletableFuture.completedFuture(null);
    }

    /** How many times the mirror set the peer's generation. */
    public int generationSets() {
        return generationSets.get();
    }

    @Override
    public AutoCloseable addListener(Listener listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    public void disconnect() {
        memory.setFailing(ErrorCode.ECONNREFUSED);
        connected = false;
        listeners.forEach(Listener::disconnected);
    }

    public void connect() {
        memory.setFailing(null);
        connected = true;
        listeners.forEach(Listener::connected);
    }
}
