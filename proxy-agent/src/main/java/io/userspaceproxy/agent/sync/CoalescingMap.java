package io.userspaceproxy.agent.sync;

import io.userspaceproxy.agent.state.ObjectRef;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Current objects by reference, plus, for each object changed since the last checkout, the value it had then.
 * An object whose value returns to that baseline (added then deleted, or updated back) is no longer pending, the
 * way kube-proxy's change trackers merge changes. Not thread-safe: the {@link ChangeTracker} lock guards it.
 */
final class CoalescingMap<V> {

    /** The value at the last checkout; {@code value} is null when the object did not exist then. */
    private record Baseline<V>(@Nullable V value) {
    }

    /** Sorted as it changes (O(log n) per event), so that a checkout copies it in order without sorting. */
    private final Map<ObjectRef, V> current = new TreeMap<>();
    /** Replaced rather than cleared at checkout: a cleared HashMap keeps its largest capacity, walked at every copy. */
    private Map<ObjectRef, Baseline<V>> pending = new HashMap<>();

    /**
     * Records that {@code ref} now has {@code value} (null: deleted).
     *
     * @return false when that is what it already had (a no-op, such as an informer resync)
     */
    boolean put(ObjectRef ref, @Nullable V value) {
        V old = current.get(ref);
        if (Objects.equals(old, value)) {
            // Keep the instance already known: unchanged objects keep their identity, which is what lets the
            // snapshot builder recognise an unchanged Service without comparing it field by field.
            return false;
        }
        if (value == null) {
            current.remove(ref);
        } else {
            current.put(ref, value);
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

    /** The objects changed since the last checkout, with the value each had then (null: it did not exist). */
    Map<ObjectRef, @Nullable V> pendingBaselines() {
        Map<ObjectRef, @Nullable V> out = new HashMap<>(pending.size() * 4 / 3 + 1);
        pending.forEach((ref, baseline) -> out.put(ref, baseline.value()));
        return out;
    }

    void clearPending() {
        pending = new HashMap<>();
    }
}
