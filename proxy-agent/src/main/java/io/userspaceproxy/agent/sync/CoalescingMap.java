package io.userspaceproxy.agent.sync;

import io.userspaceproxy.agent.state.ObjectRef;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.Objects;

/**
 * Current objects by reference, plus, for each object changed since the last checkout, the value it had then.
 * An object whose value returns to that baseline (added then deleted, or updated back) is no longer pending, the
 * way kube-proxy's change trackers merge changes. Not thread-safe: the {@link ChangeTracker} lock guards it.
 */
final class CoalescingMap<V> {

    /** The value at the last checkout; {@code value} is null when the object did not exist then. */
    private record Baseline<V>(V value) {
    }

    /** Sorted as it changes (O(log n) per event), so that a checkout copies it in order without sorting. */
    private final Map<ObjectRef, V> current = new TreeMap<>();
    private final Map<ObjectRef, Baseline<V>> pending = new HashMap<>();

    /**
     * Records that {@code ref} now has {@code value} (null: deleted).
     *
     * @return false when that is what it already had (a no-op, such as an informer resync)
     */
    boolean put(ObjectRef ref, V value) {
        V old = value == null ? current.remove(ref) : current.put(ref, value);
        if (Objects.equals(old, value)) {
            return false;
        }
        Baseline<V> baseline = pending.computeIfAbsent(ref, r -> new Baseline<>(old));
        if (Objects.equals(baseline.value(), value)) {
            pending.remove(ref);
        }
        return true;
    }

    int pendingCount() {
        return pending.size();
    }

    Map<ObjectRef, V> current() {
        return current;
    }

    void clearPending() {
        pending.clear();
    }
}
