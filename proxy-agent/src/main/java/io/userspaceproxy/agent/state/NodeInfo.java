package io.userspaceproxy.agent.state;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

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
 * @param hostIPs      the node's primary IPs as kube-proxy picks them ({@code GetNodeHostIPs}): the first
 *                     InternalIP (else ExternalIP), then the first of the other family, if any; at most two
 */
public record NodeInfo(String name, @Nullable String zone, List<InetAddress> addresses, boolean beingDeleted,
        List<String> taintKeys, List<InetAddress> hostIPs) {

    public NodeInfo {
        Objects.requireNonNull(name, "name");
        addresses = List.copyOf(addresses);
        taintKeys = List.copyOf(taintKeys);
        hostIPs = List.copyOf(hostIPs);
    }

    /** A node whose primary IPs are the first of {@code addresses} and the first of the other family. */
    public NodeInfo(String name, String zone, List<InetAddress> addresses, boolean beingDeleted,
            List<String> taintKeys) {
        this(name, zone, addresses, beingDeleted, taintKeys, hostIPs(addresses));
    }

    /** The first address, then the first of the other family: kube-proxy's rule over an ordered list. */
    public static List<InetAddress> hostIPs(List<InetAddress> ordered) {
        List<InetAddress> out = new ArrayList<>(2);
        for (InetAddress a : ordered) {
            if (out.isEmpty() || (out.size() == 1 && out.get(0).getClass() != a.getClass())) {
                out.add(a);
            }
        }
        return out;
    }
}
