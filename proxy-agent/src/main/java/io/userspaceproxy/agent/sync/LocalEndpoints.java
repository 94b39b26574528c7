package io.userspaceproxy.agent.sync;

import io.userspaceproxy.agent.state.EndpointInfo;
import io.userspaceproxy.agent.state.EndpointPortInfo;
import io.userspaceproxy.agent.state.EndpointSliceInfo;
import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.agent.state.ServiceInfo;
import io.userspaceproxy.agent.state.ServiceType;
import io.userspaceproxy.agent.state.TrafficPolicy;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the {@code healthCheckNodePort} servers answer from, computed at each sync by kube-proxy's rules
 * ({@code ServicePortMap.HealthCheckNodePorts} and {@code EndpointsMap.LocalReadyEndpoints}). Stateless.
 */
public final class LocalEndpoints {

    private LocalEndpoints() {
    }

    /**
     * The Services that need a health check server, with its port: LoadBalancer Services with external traffic
     * policy Local and a {@code healthCheckNodePort} (the API server allocates one for exactly those), that have
     * a virtual IP and at least one port.
     */
    public static Map<ObjectRef, Integer> healthCheckNodePorts(ClusterState state) {
        Map<ObjectRef, Integer> out = new TreeMap<>();
        for (ServiceInfo s : state.services().values()) {
            int port = healthCheckNodePort(s);
            if (port > 0) {
                out.put(s.ref(), port);
            }
        }
        return out;
    }

    /** {@code s}'s health check port if it needs a health check server (see above), else 0. */
    static int healthCheckNodePort(ServiceInfo s) {
        return s.type() == ServiceType.LOAD_BALANCER && s.externalTrafficPolicy() == TrafficPolicy.LOCAL
                && s.healthCheckNodePort() > 0 && !s.isHeadless() && !s.ports().isEmpty() ? s.healthCheckNodePort() : 0;
    }

    /**
     * For each Service of {@code services}, how many distinct ready endpoints ({@code ip:port}, over every port of
     * its slices) run on {@code nodeName}. Serving-but-terminating endpoints do not count: a load balancer should
     * stop sending new traffic to a node whose pods are all going away.
     */
    public static Map<ObjectRef, Integer> readyOnNode(ClusterState state, Set<ObjectRef> services, String nodeName) {
        Map<ObjectRef, Integer> out = new TreeMap<>();
        for (ObjectRef ref : services) {
            out.put(ref, countReadyOnNode(state.slicesOf(ref), nodeName));
        }
        return out;
    }

    /** How many served Services have a {@code Local} traffic policy and no ready endpoint on this node, per policy. */
    public record NoLocalEndpoints(long internal, long external) {
    }

    /**
     * What kube-proxy reports as {@code kubeproxy_sync_proxy_rules_no_local_endpoints_total}: Services whose
     * internal traffic policy is Local (counted under internal), or whose external traffic policy is Local and
     * that have external addresses (NodePort, LoadBalancer or external IPs; counted under external), and that
     * have no ready endpoint on {@code nodeName}. Their traffic of that kind is refused on this node.
     */
    public static NoLocalEndpoints noLocalEndpoints(ClusterState state, String nodeName) {
        long internal = 0;
        long external = 0;
        for (ServiceInfo s : state.services().values()) {
            if ((internalLocal(s) || externalLocal(s)) && countReadyOnNode(state.slicesOf(s.ref()), nodeName) == 0) {
                internal += internalLocal(s) ? 1 : 0;
                external += externalLocal(s) ? 1 : 0;
            }
        }
        return new NoLocalEndpoints(internal, external);
    }

    /** A served Service whose internal traffic policy is Local. */
    static boolean internalLocal(ServiceInfo s) {
        return !s.isHeadless() && !s.ports().isEmpty() && s.internalTrafficPolicy() == TrafficPolicy.LOCAL;
    }

    /** A served Service whose external traffic policy is Local and that has external addresses. */
    static boolean externalLocal(ServiceInfo s) {
        return !s.isHeadless() && !s.ports().isEmpty() && s.externalTrafficPolicy() == TrafficPolicy.LOCAL
                && (s.type() == ServiceType.NODE_PORT || s.type() == ServiceType.LOAD_BALANCER
                || !s.externalIPs().isEmpty());
    }

    static int countReadyOnNode(List<EndpointSliceInfo> slices, String nodeName) {
        Set<InetSocketAddress> distinct = new HashSet<>();
        for (EndpointSliceInfo slice : slices) {
            for (EndpointInfo e : slice.endpoints()) {
                if (!e.isReady() || !e.isOnNode(nodeName)) {
                    continue;
                }
                for (EndpointPortInfo p : slice.ports()) {
                    distinct.add(new InetSocketAddress(e.address(), p.port()));
                }
            }
        }
        return distinct.size();
    }
}
