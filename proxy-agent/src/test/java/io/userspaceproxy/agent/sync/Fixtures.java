package io.userspaceproxy.agent.sync;

import io.userspaceproxy.agent.state.AddressType;
import io.userspaceproxy.agent.state.EndpointInfo;
import io.userspaceproxy.agent.state.EndpointPortInfo;
import io.userspaceproxy.agent.state.EndpointSliceInfo;
import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.agent.state.ServiceInfo;
import io.userspaceproxy.agent.state.ServicePortInfo;
import io.userspaceproxy.core.model.IpAddresses;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteSnapshot;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Terse builders for cluster state in tests. Everything lives in namespace {@code demo}. */
final class Fixtures {

    static final NodeContext NODE_A = new NodeContext("node-a", "zone-a", List.of(ip("127.0.0.1")));

    private Fixtures() {
    }

    static InetAddress ip(String literal) {
        return IpAddresses.parse(literal);
    }

    static List<InetAddress> ips(String... literals) {
        return Arrays.stream(literals).map(Fixtures::ip).collect(Collectors.toList());
    }

    static ObjectRef ref(String name) {
        return ObjectRef.of("demo", name);
    }

    /** A ClusterIP Service with one TCP port {@code http} on {@code port}. */
    static ServiceInfo.Builder svc(String name, String clusterIP, int port) {
        return ServiceInfo.builder(ref(name)).clusterIPs(ips(clusterIP))
                .port(ServicePortInfo.of("http", Protocol.TCP, port));
    }

    static EndpointInfo ready(String ip) {
        return EndpointInfo.ready(ip(ip), null);
    }

    static EndpointInfo on(String node, String ip) {
        return EndpointInfo.ready(ip(ip), node);
    }

    static EndpointInfo cond(String ip, Boolean ready, Boolean serving, Boolean terminating) {
        return ready(ip).withConditions(ready, serving, terminating);
    }

    static EndpointInfo hinted(String ip, String... zones) {
        return ready(ip).withZone(null, List.of(zones));
    }

    /** A ready endpoint hinted for {@code nodes} ({@code hints.forNodes}) and for {@code zone} when not null. */
    static EndpointInfo nodeHinted(String ip, String zone, String... nodes) {
        return ready(ip).withZone(zone, zone == null ? List.of() : List.of(zone)).withNodeHints(List.of(nodes));
    }

    /** A slice of {@code service} whose port {@code http} (TCP) is {@code port}. */
    static EndpointSliceInfo slice(String name, String service, int port, EndpointInfo... endpoints) {
        return slice(name, service, List.of(EndpointPortInfo.of("http", Protocol.TCP, port)), endpoints);
    }

    static EndpointSliceInfo slice(String name, String service, List<EndpointPortInfo> ports,
            EndpointInfo... endpoints) {
        AddressType type = endpoints.length > 0 ? AddressType.of(endpoints[0].address()) : AddressType.IPV4;
        return new EndpointSliceInfo(ref(name), service, type, ports, List.of(endpoints));
    }

    static ClusterState state(List<ServiceInfo> services, List<EndpointSliceInfo> slices) {
        ChangeTracker tracker = new ChangeTracker();
        services.forEach(tracker::onServiceUpserted);
        slices.forEach(tracker::onSliceUpserted);
        return tracker.checkout();
    }

    /** The snapshot as {@code "TCP 127.0.10.1:80" -> ["127.0.0.1:8080", ...]}, in snapshot order. */
    static Map<String, List<String>> render(RouteSnapshot snapshot) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (Map.Entry<io.userspaceproxy.core.model.ListenerKey, Route> e : snapshot.routes().entrySet()) {
            out.put(e.getKey().toString(),
                    e.getValue().endpoints().stream().map(Object::toString).collect(Collectors.toList()));
        }
        return out;
    }
}
