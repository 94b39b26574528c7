package io.userspaceproxy.agent.sync;

import io.userspaceproxy.agent.state.EndpointSliceInfo;
import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.agent.state.ServiceInfo;
import java.time.Instant;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The whole known cluster state at one checkout, immutable. Services iterate in {@link ObjectRef} order and each
 * slice list is in slice-name order, so whatever is built from it is deterministic; slices are looked up by Service
 * (by hash, not by comparing names), never iterated in order. Handing in an already sorted map of Services (as the
 * {@link ChangeTracker} does) makes the copy linear rather than a sort.
 *
 * @param services              every Service by reference
 * @param slicesByService       EndpointSlices grouped by the Service they name (which need not exist)
 * @param changedServices       how many Services changed since the previous checkout (after coalescing)
 * @param changedEndpointSlices how many EndpointSlices changed since the previous checkout (after coalescing)
 * @param changeTriggerTimes    the trigger times of the EndpointSlice changes since the previous checkout (see
 *                              {@link ChangeTracker}), oldest first: where network programming latency starts
 */
public record ClusterState(
        Map<ObjectRef, ServiceInfo> services,
        Map<ObjectRef, List<EndpointSliceInfo>> slicesByService,
        int changedServices,
        int changedEndpointSlices,
        List<Instant> changeTriggerTimes) implements Checkout {

    public static final ClusterState EMPTY = new ClusterState(Map.of(), Map.of(), 0, 0);

    /** A state without trigger times. */
    public ClusterState(Map<ObjectRef, ServiceInfo> services, Map<ObjectRef, List<EndpointSliceInfo>> slicesByService,
            int changedServices, int changedEndpointSlices) {
        this(services, slicesByService, changedServices, changedEndpointSlices, List.of());
    }

    public ClusterState {
        changeTriggerTimes = changeTriggerTimes.stream().sorted().toList();
        // TreeMap's copy of a SortedMap with the same (natural) ordering is linear: no comparison at all.
        services = Collections.unmodifiableMap(new TreeMap<>(services));
        Map<ObjectRef, List<EndpointSliceInfo>> slices = new HashMap<>(slicesByService.size() * 4 / 3 + 1);
        slicesByService.forEach((ref, list) -> slices.put(ref, List.copyOf(list)));
        slicesByService = Collections.unmodifiableMap(slices);
    }

    /** The slices of {@code service}, empty when it has none. */
    public List<EndpointSliceInfo> slicesOf(ObjectRef service) {
        return slicesByService.getOrDefault(service, List.of());
    }
}
