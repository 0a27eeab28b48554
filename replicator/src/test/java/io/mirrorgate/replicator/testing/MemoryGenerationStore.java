package io.mirrorgate.replicator.testing;

import io.mirrorgate.replicator.generation.GenerationStore;
import io.mirrorgate.replicator.generation.Generations;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * An in-memory {@link GenerationStore} that keeps every stored value and can run a hook at the
 * moment of storing (for example to record how much the local device had been written then).
 */
public final class MemoryGenerationStore implements GenerationStore {
    private final List<Generations> history = new ArrayList<>();
    private Generations current;
    private volatile Consumer<Generations> onStore = g -> { };

    public MemoryGenerationStore(Generations initial) {
        this.current = initial;
    }

    @Override
    public synchronized Generations generations() {
        return current;
    }

    @Override
    public void storeGenerations(Generations generations) {
        onStore.accept(generations);
        synchronized (this) {
            current = generations;
            history.add(generations);
        }
    }

    /** Runs {@code hook} before each store completes. */
    public void onStore(Consumer<Generations> hook) {
        this.onStore = hook;
    }

    /** Every value stored, oldest first. */
    public synchronized List<Generations> history() {
        return List.copyOf(history);
    }
}
