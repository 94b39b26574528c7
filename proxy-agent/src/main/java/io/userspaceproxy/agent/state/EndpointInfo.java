package io.userspaceproxy.agent.state;

import java.net.InetAddress;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One entry of an EndpointSlice's {@code endpoints}. The conditions keep the API's three states (true, false,
 * absent) so that the defaults are applied in one place, by {@link #isReady()}, {@link #isServing()} and
 * {@link #isTerminating()}.
 *
 * @param addresses   the pod's addresses, all of the slice's family; never empty. Like kube-proxy, the proxy
 *                    routes to the first one (the API declares them fungible)
 * @param ready       nullable: {@code conditions.ready}
 * @param serving     nullable: {@code conditions.serving}
 * @param terminating nullable: {@code conditions.terminating}
 * @param nodeName    nullable: the node the endpoint runs on (traffic policy {@code Local} compares it)
 * @param zone        nullable: the endpoint's zone
 * @param zoneHints   {@code hints.forZones[].name}: the zones that should route to this endpoint
 * @param nodeHints   {@code hints.forNodes[].name} (Kubernetes 1.33+, written for {@code trafficDistribution:
 *                    PreferSameNode}): the nodes that should route to this endpoint
 */
public record EndpointInfo(
        List<InetAddress> addresses,
        @Nullable Boolean ready,
        @Nullable Boolean serving,
        @Nullable Boolean terminating,
        @Nullable String nodeName,
        @Nullable String zone,
        List<String> zoneHints,
        List<String> nodeHints) {

    public EndpointInfo {
        addresses = List.copyOf(addresses);
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("addresses: [] (expected: at least one address)");
        }
        zoneHints = List.copyOf(zoneHints);
        nodeHints = List.copyOf(nodeHints);
    }

    /** An endpoint without node hints. */
    public EndpointInfo(List<InetAddress> addresses, @Nullable Boolean ready, @Nullable Boolean serving,
            @Nullable Boolean terminating, @Nullable String nodeName, @Nullable String zone, List<String> zoneHints) {
        this(addresses, ready, serving, terminating, nodeName, zone, zoneHints, List.of());
    }

    /** A ready endpoint at {@code address} on {@code nodeName} (nullable), without zone or hints. */
    public static EndpointInfo ready(InetAddress address, @Nullable String nodeName) {
        return new EndpointInfo(List.of(address), true, null, null, nodeName, null, List.of());
    }

    /** The address the proxy routes to. */
    public InetAddress address() {
        return addresses.get(0);
    }

    /** An absent {@code ready} counts as ready, as in kube-proxy. */
    public boolean isReady() {
        return ready == null || ready;
    }

    /** An absent {@code serving} means the same as {@code ready}. */
    public boolean isServing() {
        return serving == null ? isReady() : serving;
    }

    /** An absent {@code terminating} means not terminating. */
    public boolean isTerminating() {
        return Boolean.TRUE.equals(terminating);
    }

    /** True when the endpoint runs on the node named {@code node}. */
    public boolean isOnNode(String node) {
        return nodeName != null && nodeName.equals(node);
    }

    public EndpointInfo withConditions(@Nullable Boolean newReady, @Nullable Boolean newServing,
            @Nullable Boolean newTerminating) {
        return new EndpointInfo(addresses, newReady, newServing, newTerminating, nodeName, zone, zoneHints,
                nodeHints);
    }

    public EndpointInfo withZone(@Nullable String newZone, List<String> newZoneHints) {
        return new EndpointInfo(addresses, ready, serving, terminating, nodeName, newZone, newZoneHints, nodeHints);
    }

    public EndpointInfo withNodeHints(List<String> newNodeHints) {
        return new EndpointInfo(addresses, ready, serving, terminating, nodeName, zone, zoneHints, newNodeHints);
    }

    @Override
    public String toString() {
        return address().getHostAddress() + (nodeName == null ? "" : "@" + nodeName)
                + " ready=" + ready + " serving=" + serving + " terminating=" + terminating
                + (zoneHints.isEmpty() ? "" : " hints=" + zoneHints)
                + (nodeHints.isEmpty() ? "" : " nodeHints=" + nodeHints);
    }

    static void requireFamily(List<EndpointInfo> endpoints, AddressType type) {
        for (EndpointInfo e : endpoints) {
            for (InetAddress a : e.addresses) {
                if (!type.matches(a)) {
                    throw new IllegalArgumentException("address " + a.getHostAddress()
                            + " (expected: an " + type.apiName() + " address)");
                }
            }
        }
    }
}
