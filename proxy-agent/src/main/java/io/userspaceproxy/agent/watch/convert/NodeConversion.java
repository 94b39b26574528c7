package io.userspaceproxy.agent.watch.convert;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Taint;
import io.userspaceproxy.agent.state.NodeInfo;
import io.userspaceproxy.core.model.IpAddresses;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Converts the proxy's own {@link Node}; see {@link KubernetesObjects#node}. Stateless. */
final class NodeConversion {

    private NodeConversion() {
    }

    static NodeInfo convert(Node node) {
        ObjectMeta meta = node.getMetadata();
        String name = meta == null || meta.getName() == null ? "" : meta.getName();
        String zone = meta == null || meta.getLabels() == null ? null : meta.getLabels().get(KubernetesObjects.ZONE_LABEL);
        boolean deleting = meta != null && meta.getDeletionTimestamp() != null && !meta.getDeletionTimestamp().isEmpty();
        List<InetAddress> addresses = new ArrayList<>();
        if (node.getStatus() != null && node.getStatus().getAddresses() != null) {
            for (NodeAddress a : node.getStatus().getAddresses()) {
                InetAddress ip = a == null ? null : ipOrNull(a.getAddress());
                if (ip != null && !addresses.contains(ip)) {
                    addresses.add(ip);
                }
            }
        }
        List<InetAddress> hostIPs = NodeInfo.hostIPs(addressesOfType(node, "InternalIP", "ExternalIP"));
        List<String> taints = new ArrayList<>();
        if (node.getSpec() != null && node.getSpec().getTaints() != null) {
            for (Taint t : node.getSpec().getTaints()) {
                if (t != null && t.getKey() != null) {
                    taints.add(t.getKey());
                }
            }
        }
        return new NodeInfo(name, zone == null || zone.isEmpty() ? null : zone, addresses, deleting, taints, hostIPs);
    }

    /** The IP addresses of {@code status.addresses}: every one of the first type, then of the second. */
    private static List<InetAddress> addressesOfType(Node node, String first, String second) {
        List<InetAddress> out = new ArrayList<>();
        if (node.getStatus() == null || node.getStatus().getAddresses() == null) {
            return out;
        }
        for (String type : List.of(first, second)) {
            for (NodeAddress a : node.getStatus().getAddresses()) {
                InetAddress ip = a != null && type.equals(a.getType()) ? ipOrNull(a.getAddress()) : null;
                if (ip != null) {
                    out.add(ip);
                }
            }
        }
        return out;
    }

    /** Node addresses also hold host names (type Hostname, InternalDNS): those are skipped, never resolved. */
    private static @Nullable InetAddress ipOrNull(@Nullable String value) {
        try {
            return value == null ? null : IpAddresses.parse(value);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
