package io.userspaceproxy.agent.sync;

import io.userspaceproxy.agent.state.EndpointSliceInfo;
import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.agent.state.ServiceInfo;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What changed since the previous checkout, and nothing else: each Service whose object or whose EndpointSlices
 * changed, with its state now. The sync rebuilds those Services' routes alone; every other Service keeps its routes
 * as the same objects. kube-proxy's change trackers hand over changes the same way.
 *
 * @param services              per affected Service, its state now
 * @param changedServices       how many Services changed (after coalescing)
 * @param changedEndpointSlices how many EndpointSlices changed (after coalescing)
 * @param changeTriggerTimes    trigger times of the EndpointSlice changes, oldest first (see {@link ChangeTracker})
 */
public record ClusterChanges(Map<ObjectRef, ServiceState> services, int changedServices, int changedEndpointSlices,
        List<Instant> changeTriggerTimes) implements Checkout {

    public ClusterChanges {
        services = Map.copyOf(services);
        changeTriggerTimes = changeTriggerTimes.stream().sorted().toList();
    }

    /**
     * One affected Service now.
     *
     * @param service the Service, or {@code null} when it is gone (its slices may still be there: they serve nothing)
     * @param slices  its EndpointSlices in slice-name order
     */
    public record ServiceState(@Nullable ServiceInfo service, List<EndpointSliceInfo> slices) {

        public ServiceState {
            slices = List.copyOf(Objects.requireNonNull(slices, "slices"));
        }
    }
}
