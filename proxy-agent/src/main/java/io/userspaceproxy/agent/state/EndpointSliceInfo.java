package io.userspaceproxy.agent.state;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the proxy needs from an EndpointSlice (or from a {@code v1/Endpoints}, converted to the same shape).
 * Immutable; lists are unmodifiable copies.
 *
 * @param ref         namespace and name of the slice
 * @param serviceName the Service it belongs to, from label {@code kubernetes.io/service-name} (same namespace)
 * @param addressType the family of every address in {@link #endpoints()}
 * @param ports       ports that a userspace proxy can serve (TCP and UDP), matched to Service ports by name
 * @param endpoints   the endpoints, all addresses of {@code addressType}
 * @param lastChangeTriggerTime nullable: annotation {@code endpoints.kubernetes.io/last-change-trigger-time}, when
 *                    the change this version of the slice reflects happened (a pod became ready, say); the start
 *                    of the network programming latency that kube-proxy reports. Null when absent (manifests)
 */
public record EndpointSliceInfo(
        ObjectRef ref,
        String serviceName,
        AddressType addressType,
        List<EndpointPortInfo> ports,
        List<EndpointInfo> endpoints,
        @Nullable Instant lastChangeTriggerTime) {

    public EndpointSliceInfo {
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(serviceName, "serviceName");
        if (serviceName.isEmpty()) {
            throw new IllegalArgumentException("serviceName: \"\" (expected: non-empty)");
        }
        Objects.requireNonNull(addressType, "addressType");
        ports = List.copyOf(ports);
        endpoints = List.copyOf(endpoints);
        EndpointInfo.requireFamily(endpoints, addressType);
    }

    /** A slice without a trigger time, as manifests and v1 Endpoints give them. */
    public EndpointSliceInfo(ObjectRef ref, String serviceName, AddressType addressType, List<EndpointPortInfo> ports,
            List<EndpointInfo> endpoints) {
        this(ref, serviceName, addressType, ports, endpoints, null);
    }

    /** The Service this slice belongs to. */
    public ObjectRef serviceRef() {
        return new ObjectRef(ref.namespace(), serviceName);
    }
}
