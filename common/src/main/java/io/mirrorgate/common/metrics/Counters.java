package io.mirrorgate.common.metrics;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counters of one component, named by an enum: cheap to bump from any thread on a hot path
 * (one {@link LongAdder} each), read as a consistent-enough snapshot for status, metrics and logs.
 * Every program counts this way; the component turns a snapshot into its own public record.
 *
 * @param <K> the names of the counters
 */
public final class Counters<K extends Enum<K>> {
    private final Class<K> names;
    private final LongAdder[] values;

    public Counters(Class<K> names) {
        this.names = names;
        this.values = new LongAdder[names.getEnumConstants().length];
        for (int i = 0; i < values.length; i++) {
            values[i] = new LongAdder();
        }
    }

    /** Adds one to {@code name}. */
    public void increment(K name) {
        values[name.ordinal()].increment();
    }

    /** Adds {@code n} to {@code name}. */
    public void add(K name, long n) {
        values[name.ordinal()].add(n);
    }

    /** The current value of {@code name}. */
    public long get(K name) {
        return values[name.ordinal()].sum();
    }

    /** Every counter's current value, in the enum's order. */
    public Map<K, Long> snapshot() {
        Map<K, Long> all = new EnumMap<>(names);
        for (K name : names.getEnumConstants()) {
            all.put(name, get(name));
        }
        return all;
    }

    @Override
    public String toString() {
        return snapshot().toString();
    }
}
