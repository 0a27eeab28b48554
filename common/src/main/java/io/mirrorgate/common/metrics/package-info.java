/**
 * How every program counts: {@link io.mirrorgate.common.metrics.Counters}, enum-named hot-path
 * counters with snapshots.
 */
package io.mirrorgate.common.metrics;
