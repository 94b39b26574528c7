package io.userspaceproxy.agent.state;

import java.util.List;
import java.util.Objects;

/**
 * What the proxy needs from an EndpointSlice (or from a {@code v1/Endpoints}, converted to the same shape).
 * Immutable; lists are unmodifiable copies.
 *
 * @param ref         namespace and name of the slice
 * @param serviceName the Service it belongs to, from label {@code kubernetes.io/service-name} (same namespace)
 * @param addressType the family of every address in {@link #endpoints()}
 * @param ports       ports that a userspace proxy can serve (TCP and UDP), matched to Service ports by name
 * @param endpoints   the endpoints, all addresses of {@code addressType}
 */
public record EndpointSliceInfo(
        ObjectRef ref,
        String serviceName,
        AddressType addressType,
        List<EndpointPortInfo> ports,
        List<EndpointInfo> endpoints) {

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

    /** The Service this slice belongs to. */
    public ObjectRef serviceRef() {
        return new ObjectRef(ref.namespace(), serviceName);
    }
}
