package io.userspaceproxy.agent.sync;

import io.userspaceproxy.agent.state.EndpointSliceInfo;
import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.agent.state.ServiceInfo;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * Collects Service and EndpointSlice events from any source (API informers, manifest files) and hands the sync loop
 * what changed ({@link #checkoutChanges()}, the per-change path) or the whole state ({@link #checkout()}, for a full
 * sync).
 *
 * <p>Changes coalesce per object: two updates of one object are one pending change; adding an object and
 * deleting it again before a checkout leaves nothing pending; an upsert equal to what is known (an informer
 * resync) changes nothing. The pending counts are what a sync would apply now.
 *
 * <p>Thread-safe. Every method takes one short lock and never blocks otherwise, so it is safe to call from
 * informer callbacks. The change listener runs on the thread that reported the change, after the lock is
 * released; it must be cheap and must not block (wake the sync loop, nothing more). It is level-triggered: it may
 * run several times per checkout, and a sync loop should read {@link #hasPending()} rather than count calls.
 *
 * <p>Network programming latency, as kube-proxy measures it: an EndpointSlice upsert that changes the known state
 * and carries a {@link EndpointSliceInfo#lastChangeTriggerTime() trigger time} later than this tracker's creation
 * records that time for the slice's Service; {@link #checkout()} hands the recorded times over (and forgets them),
 * so the sync that applies the change can observe {@code now - triggerTime}. Deleting a slice forgets the times
 * recorded for its Service, since a deleted object's annotation dates from its last update, not from the change
 * that removed it. Times from before the tracker existed (the initial list at start) are ignored: they measure
 * how long the proxy was down, not how fast it programs.
 */
public final class ChangeTracker {

    private static final Runnable NO_LISTENER = () -> { };

    private final Object lock = new Object();
    private final CoalescingMap<ServiceInfo> services = new CoalescingMap<>();
    private final CoalescingMap<EndpointSliceInfo> slices = new CoalescingMap<>();
    /** The current slices grouped by the Service they name, each group in slice-name order; guarded by {@code lock}. */
    private final Map<ObjectRef, TreeMap<ObjectRef, EndpointSliceInfo>> slicesByService = new HashMap<>();
    private final LongAdder serviceChanges = new LongAdder();
    private final LongAdder endpointChanges = new LongAdder();
    /** Trigger times of pending slice changes, by Service; guarded by {@code lock}. */
    private final Map<ObjectRef, List<Instant>> triggerTimes = new HashMap<>();
    private final Instant startedAt;
    private volatile Runnable changeListener = NO_LISTENER;

    /** A tracker whose trigger-time cut-off is now. */
    public ChangeTracker() {
        this(Clock.systemUTC());
    }

    /** @param clock gives the trigger-time cut-off: slice changes triggered before {@code clock.instant()} are not timed */
    public ChangeTracker(Clock clock) {
        this.startedAt = clock.instant();
    }

    /** Sets what runs when a change becomes pending; replaces any previous listener. */
    public void setChangeListener(Runnable listener) {
        changeListener = Objects.requireNonNull(listener, "listener");
    }

    public void onServiceUpserted(ServiceInfo service) {
        Objects.requireNonNull(service, "service");
        record(services, service.ref(), service, serviceChanges);
    }

    public void onServiceDeleted(ObjectRef ref) {
        Objects.requireNonNull(ref, "ref");
        record(services, ref, null, serviceChanges);
    }

    public void onSliceUpserted(EndpointSliceInfo slice) {
        Objects.requireNonNull(slice, "slice");
        boolean changed;
        synchronized (lock) {
            EndpointSliceInfo old = slices.current().get(slice.ref());
            changed = slices.put(slice.ref(), slice);
            if (changed) {
                group(old, null);
                group(slice, slice);
            }
            Instant t = slice.lastChangeTriggerTime();
            if (changed && t != null && t.isAfter(startedAt)) {
                triggerTimes.computeIfAbsent(slice.serviceRef(), r -> new ArrayList<>(1)).add(t);
            }
        }
        notifyIf(changed, endpointChanges);
    }

    public void onSliceDeleted(ObjectRef ref) {
        Objects.requireNonNull(ref, "ref");
        boolean changed;
        synchronized (lock) {
            EndpointSliceInfo old = slices.current().get(ref);
            changed = slices.put(ref, null);
            if (changed) {
                group(old, null);
                // Deleting changes something only when the slice was there.
                triggerTimes.remove(Objects.requireNonNull(old, "a changing delete removes a slice").serviceRef());
            }
        }
        notifyIf(changed, endpointChanges);
    }

    /** Puts {@code value} into (or, when null, takes {@code slice} out of) its Service's group. Under the lock. */
    private void group(@Nullable EndpointSliceInfo slice, @Nullable EndpointSliceInfo value) {
        if (slice == null) {
            return;
        }
        if (value != null) {
            slicesByService.computeIfAbsent(slice.serviceRef(), r -> new TreeMap<>()).put(slice.ref(), value);
            return;
        }
        TreeMap<ObjectRef, EndpointSliceInfo> group = slicesByService.get(slice.serviceRef());
        if (group != null && group.remove(slice.ref()) != null && group.isEmpty()) {
            slicesByService.remove(slice.serviceRef());
        }
    }

    private <V> void record(CoalescingMap<V> map, ObjectRef ref, @Nullable V value, LongAdder counter) {
        boolean changed;
        synchronized (lock) {
            changed = map.put(ref, value);
        }
        notifyIf(changed, counter);
    }

    private void notifyIf(boolean changed, LongAdder counter) {
        if (changed) {
            counter.increment();
            changeListener.run();
        }
    }

    /** True when a checkout would report a change. */
    public boolean hasPending() {
        synchronized (lock) {
            return services.pendingCount() + slices.pendingCount() > 0;
        }
    }

    /** Services changed since the last checkout, after coalescing. */
    public int pendingServiceChanges() {
        synchronized (lock) {
            return services.pendingCount();
        }
    }

    /** EndpointSlices changed since the last checkout, after coalescing. */
    public int pendingEndpointChanges() {
        synchronized (lock) {
            return slices.pendingCount();
        }
    }

    /**
     * Every Service event that changed the known state, since start (before coalescing; no-op resyncs are not
     * counted). Backs {@code kubeproxy_sync_proxy_rules_service_changes_total}.
     */
    public long serviceChanges() {
        return serviceChanges.sum();
    }

    /** Like {@link #serviceChanges()}, for EndpointSlice events ({@code ..._endpoint_changes_total}). */
    public long endpointChanges() {
        return endpointChanges.sum();
    }

    /**
     * Hands over what changed since the last checkout, and clears it: every Service whose object or whose slices
     * changed, with its state now (see {@link ClusterChanges}), plus the counts and trigger times. Costs what changed,
     * never a copy of every Service: this is the per-change path of the sync. {@link #checkout()} is the full one.
     */
    public ClusterChanges checkoutChanges() {
        Map<ObjectRef, ClusterChanges.ServiceState> affected = new HashMap<>();
        List<Instant> triggers = new ArrayList<>();
        int changedServices;
        int changedSlices;
        synchronized (lock) {
            triggerTimes.values().forEach(triggers::addAll);
            triggerTimes.clear();
            Map<ObjectRef, @Nullable ServiceInfo> servicesChanged = services.pendingBaselines();
            Map<ObjectRef, @Nullable EndpointSliceInfo> slicesChanged = slices.pendingBaselines();
            for (ObjectRef ref : servicesChanged.keySet()) {
                affected.put(ref, stateOf(ref));
            }
            slicesChanged.forEach((ref, before) -> {
                EndpointSliceInfo now = slices.current().get(ref);
                for (EndpointSliceInfo s : new EndpointSliceInfo[] {before, now}) {
                    if (s != null) {
                        affected.computeIfAbsent(s.serviceRef(), this::stateOf);
                    }
                }
            });
            changedServices = services.pendingCount();
            changedSlices = slices.pendingCount();
            services.clearPending();
            slices.clearPending();
        }
        return new ClusterChanges(affected, changedServices, changedSlices, triggers);
    }

    /** A Service's state now. Under the lock. */
    private ClusterChanges.ServiceState stateOf(ObjectRef service) {
        TreeMap<ObjectRef, EndpointSliceInfo> group = slicesByService.get(service);
        return new ClusterChanges.ServiceState(services.current().get(service),
                group == null ? List.of() : List.copyOf(group.values()));
    }

    /**
     * Returns the full current state (an immutable copy, with the pending counts and trigger times) and clears what
     * is pending.
     * Cost is linear in the number of objects; the copy is made under the lock, the grouping outside it.
     */
    public ClusterState checkout() {
        Map<ObjectRef, ServiceInfo> serviceCopy;
        List<EndpointSliceInfo> sliceCopy;
        int changedServices;
        int changedSlices;
        List<Instant> triggers = new ArrayList<>();
        synchronized (lock) {
            triggerTimes.values().forEach(triggers::addAll);
            triggerTimes.clear();
            // Both maps are sorted by reference already: these copies are linear, not sorts.
            serviceCopy = new TreeMap<>(services.current());
            sliceCopy = new ArrayList<>(slices.current().values());
            changedServices = services.pendingCount();
            changedSlices = slices.pendingCount();
            services.clearPending();
            slices.clearPending();
        }
        // The slices come in slice-name order, so each Service's list is in that order, as checkoutChanges() gives it.
        Map<ObjectRef, List<EndpointSliceInfo>> byService = new HashMap<>();
        for (EndpointSliceInfo slice : sliceCopy) {
            byService.computeIfAbsent(slice.serviceRef(), r -> new ArrayList<>()).add(slice);
        }
        return new ClusterState(serviceCopy, byService, changedServices, changedSlices, triggers);
    }
}
