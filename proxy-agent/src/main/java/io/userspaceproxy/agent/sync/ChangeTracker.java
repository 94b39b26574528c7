package io.userspaceproxy.agent.sync;

import io.userspaceproxy.agent.state.EndpointSliceInfo;
import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.agent.state.ServiceInfo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

/**
 * Collects Service and EndpointSlice events from any source (API informers, manifest files) and hands the whole
 * state to the sync loop on {@link #checkout()}.
 *
 * <p>Changes coalesce per object: two updates of one object are one pending change; adding an object and
 * deleting it again before a checkout leaves nothing pending; an upsert equal to what is known (an informer
 * resync) changes nothing. The pending counts are what a sync would apply now.
 *
 * <p>Thread-safe. Every method takes one short lock and never blocks otherwise, so it is safe to call from
 * informer callbacks. The change listener runs on the thread that reported the change, after the lock is
 * released; it must be cheap and must not block (wake the sync loop, nothing more). It is level-triggered: it may
 * run several times per checkout, and a sync loop should read {@link #hasPending()} rather than count calls.
 */
public final class ChangeTracker {

    private static final Runnable NO_LISTENER = () -> { };

    private final Object lock = new Object();
    private final CoalescingMap<ServiceInfo> services = new CoalescingMap<>();
    private final CoalescingMap<EndpointSliceInfo> slices = new CoalescingMap<>();
    private final LongAdder serviceChanges = new LongAdder();
    private final LongAdder endpointChanges = new LongAdder();
    private volatile Runnable changeListener = NO_LISTENER;

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
        record(slices, slice.ref(), slice, endpointChanges);
    }

    public void onSliceDeleted(ObjectRef ref) {
        Objects.requireNonNull(ref, "ref");
        record(slices, ref, null, endpointChanges);
    }

    private <V> void record(CoalescingMap<V> map, ObjectRef ref, V value, LongAdder counter) {
        boolean changed;
        synchronized (lock) {
            changed = map.put(ref, value);
        }
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
     * Returns the full current state (an immutable copy, with the pending counts) and clears what is pending.
     * Cost is linear in the number of objects; the copy is made under the lock, the grouping outside it.
     */
    public ClusterState checkout() {
        Map<ObjectRef, ServiceInfo> serviceCopy;
        List<EndpointSliceInfo> sliceCopy;
        int changedServices;
        int changedSlices;
        synchronized (lock) {
            serviceCopy = new HashMap<>(services.current());
            sliceCopy = new ArrayList<>(slices.current().values());
            changedServices = services.pendingCount();
            changedSlices = slices.pendingCount();
            services.clearPending();
            slices.clearPending();
        }
        sliceCopy.sort(Comparator.comparing(EndpointSliceInfo::ref));
        Map<ObjectRef, List<EndpointSliceInfo>> byService = new HashMap<>();
        for (EndpointSliceInfo slice : sliceCopy) {
            byService.computeIfAbsent(slice.serviceRef(), r -> new ArrayList<>()).add(slice);
        }
        return new ClusterState(serviceCopy, byService, changedServices, changedSlices);
    }
}
