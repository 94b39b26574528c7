package io.userspaceproxy.agent.state;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * What the proxy reads from the {@code v1/Node} it runs on. Immutable; lists are unmodifiable copies.
 *
 * @param name         {@code metadata.name}
 * @param zone         nullable: label {@code topology.kubernetes.io/zone}, the zone that topology hints name;
 *                     null when the node has none, which turns zone-aware routing off
 * @param addresses    the IP addresses of {@code status.addresses} (InternalIP, ExternalIP), in the order given:
 *                     addresses that belong to the node itself, never to be taken over as Service addresses
 * @param beingDeleted true when {@code metadata.deletionTimestamp} is set
 * @param taintKeys    the keys of {@code spec.taints}, e.g. {@code ToBeDeletedByClusterAutoscaler}
 */
public record NodeInfo(String name, String zone, List<InetAddress> addresses, boolean beingDeleted,
        List<String> taintKeys) {

    public NodeInfo {
        Objects.requireNonNull(name, "name");
        addresses = List.copyOf(addresses);
        taintKeys = List.copyOf(taintKeys);
    }
}
