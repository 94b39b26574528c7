package io.userspaceproxy.agent.sync;

import io.userspaceproxy.agent.state.AddressType;
import io.userspaceproxy.agent.state.EndpointSliceInfo;
import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.agent.state.ServiceInfo;
import io.userspaceproxy.agent.state.ServicePortInfo;
import io.userspaceproxy.agent.state.ServiceType;
import io.userspaceproxy.core.model.Cidr;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.ProxySnapshot;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.ServicePortName;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Turns the cluster state into the {@link ProxySnapshot} the data plane serves, by kube-proxy's rules.
 *
 * <p>Per Service (skipping headless and ExternalName ones) and per port, one listener on every ClusterIP at
 * {@code port}; for NodePort and LoadBalancer Services with a node port, one on every node address at
 * {@code nodePort}; one on every external IP, and for LoadBalancer Services on every ingress IP at {@code port}
 * (those carry {@code loadBalancerSourceRanges}). Each listener's endpoints are of its address's family and
 * chosen by {@link EndpointSelector}. Two claims on one listener are settled by {@link ListenerClaims}.
 *
 * <p>The output is a pure function of the inputs (Services and slices are walked in name order), so an
 * unchanged cluster gives an equal snapshot and the data plane keeps its sockets and balancers. Inputs are not
 * modified.
 *
 * <p>A Service whose {@link ServiceInfo}, slice objects and node context are the very instances of the previous
 * build (the change tracker keeps unchanged objects as they were) hands over the previous build's listener keys
 * and {@link Route} objects as they are. The data plane then recognises them by identity instead of comparing
 * every endpoint of every Service, which is what keeps a one-endpoint change cheap at 10,000 Services. Not
 * thread-safe: one sync thread builds.
 */
public final class SnapshotBuilder {

    private final Duration defaultUdpTimeout;
    /** Per Service, what its last build claimed and the inputs it came from. Replaced at every build. */
    private Map<ObjectRef, Memo> memos = Map.of();

    /** One listener claim of a service port. */
    private record Claim(ListenerKey key, Route route) {
    }

    /** The claims one Service made, and the exact input instances they were made from. */
    private record Memo(ServiceInfo service, List<EndpointSliceInfo> slices, NodeContext node, List<Claim> claims) {

        boolean madeFrom(ServiceInfo s, List<EndpointSliceInfo> sl, NodeContext n) {
            if (service != s || sl.size() != slices.size() || !node.equals(n)) {
                return false;
            }
            for (int i = 0; i < sl.size(); i++) {
                if (sl.get(i) != slices.get(i)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** @param defaultUdpTimeout the UDP idle timeout of Services without the udp-timeout annotation */
    public SnapshotBuilder(Duration defaultUdpTimeout) {
        Objects.requireNonNull(defaultUdpTimeout, "defaultUdpTimeout");
        if (defaultUdpTimeout.isNegative() || defaultUdpTimeout.isZero()) {
            throw new IllegalArgumentException("defaultUdpTimeout: " + defaultUdpTimeout + " (expected: > 0)");
        }
        this.defaultUdpTimeout = defaultUdpTimeout;
    }

    /** Builds with no previous snapshot: conflicts go to the Service that sorts first. */
    public BuildResult build(ClusterState state, NodeContext node) {
        return build(state, node, ProxySnapshot.EMPTY);
    }

    /**
     * @param previous the snapshot being served, so that a contested listener stays with its current holder
     */
    public BuildResult build(ClusterState state, NodeContext node, ProxySnapshot previous) {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(previous, "previous");
        ListenerClaims claims = new ListenerClaims();
        Map<ObjectRef, Memo> nextMemos = new HashMap<>(state.services().size() * 4 / 3 + 1);
        int served = 0;
        int skipped = 0;
        int ports = 0;
        for (ServiceInfo service : state.services().values()) {
            if (service.isHeadless()) {
                skipped++;
                continue;
            }
            served++;
            ports += service.ports().size();
            List<EndpointSliceInfo> slices = state.slicesOf(service.ref());
            Memo memo = memos.get(service.ref());
            if (memo == null || !memo.madeFrom(service, slices, node)) {
                List<Claim> made = new ArrayList<>();
                for (ServicePortInfo port : service.ports()) {
                    claimPort(service, port, new EndpointSelector(service, port, slices, node), node, made);
                }
                memo = new Memo(service, slices, node, List.copyOf(made));
            }
            for (Claim c : memo.claims()) {
                claims.claim(c.key(), c.route());
            }
            nextMemos.put(service.ref(), memo);
        }
        memos = nextMemos;
        List<String> problems = new ArrayList<>();
        Map<ListenerKey, Route> routes = claims.resolve(previous, problems);
        int empty = 0;
        for (Route r : routes.values()) {
            if (r.endpoints().isEmpty()) {
                empty++;
            }
        }
        BuildResult.Counts counts = new BuildResult.Counts(served, skipped, ports, routes.size(), empty,
                claims.conflicts());
        return new BuildResult(new ProxySnapshot(routes), problems, counts);
    }

    private void claimPort(ServiceInfo service, ServicePortInfo port, EndpointSelector selector, NodeContext node,
            List<Claim> claims) {
        ServicePortName name = new ServicePortName(service.ref().namespace(), service.ref().name(), port.name(),
                port.protocol());
        Frontends f = new Frontends(service, port, name, selector, claims);
        f.claimAll(FrontendKind.CLUSTER_IP, service.clusterIPs(), port.port());
        if (service.type().hasNodePorts() && port.nodePort() > 0) {
            f.claimAll(FrontendKind.NODE_PORT, node.nodePortAddresses(), port.nodePort());
        }
        f.claimAll(FrontendKind.EXTERNAL_IP, service.externalIPs(), port.port());
        if (service.type() == ServiceType.LOAD_BALANCER) {
            f.claimAll(FrontendKind.LOAD_BALANCER, service.loadBalancerIngressIPs(), port.port());
        }
    }

    /** The listeners of one service port; a small parameter object so each step stays short. */
    private final class Frontends {
        private final ServiceInfo service;
        private final ServicePortInfo port;
        private final ServicePortName name;
        private final EndpointSelector selector;
        private final List<Claim> claims;

        Frontends(ServiceInfo service, ServicePortInfo port, ServicePortName name, EndpointSelector selector,
                List<Claim> claims) {
            this.service = service;
            this.port = port;
            this.name = name;
            this.selector = selector;
            this.claims = claims;
        }

        void claimAll(FrontendKind kind, List<InetAddress> addresses, int listenPort) {
            for (InetAddress address : addresses) {
                List<Endpoint> endpoints = selector.endpointsFor(kind, AddressType.of(address));
                List<Cidr> ranges = kind == FrontendKind.LOAD_BALANCER ? service.loadBalancerSourceRanges() : List.of();
                Duration udpTimeout = service.udpTimeout() != null ? service.udpTimeout() : defaultUdpTimeout;
                Route route = new Route(name, kind, endpoints, service.sessionAffinity(), udpTimeout, ranges);
                claims.add(new Claim(ListenerKey.of(port.protocol(), new InetSocketAddress(address, listenPort)), route));
            }
        }
    }
}
