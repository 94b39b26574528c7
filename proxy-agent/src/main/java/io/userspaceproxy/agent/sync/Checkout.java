package io.userspaceproxy.agent.sync;

import java.time.Instant;
import java.util.List;

/**
 * What a checkout of the {@link ChangeTracker} says about the changes it took, full ({@link ClusterState}) or
 * partial ({@link ClusterChanges}) alike: what a sync reports and measures network programming latency from.
 */
interface Checkout {

    /** How many Services changed since the previous checkout (after coalescing). */
    int changedServices();

    /** How many EndpointSlices changed since the previous checkout (after coalescing). */
    int changedEndpointSlices();

    /** The trigger times of the EndpointSlice changes, oldest first. */
    List<Instant> changeTriggerTimes();
}
