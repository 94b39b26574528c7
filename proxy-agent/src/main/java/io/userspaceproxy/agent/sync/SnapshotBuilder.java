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
import io.userspaceproxy.core.model.ProxyProtocolOptions;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteChanges;
import io.userspaceproxy.core.model.RouteSnapshot;
import io.userspaceproxy.core.model.ServicePortName;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Turns Services and EndpointSlices into the routes the data plane serves, by kube-proxy's rules: incrementally
 * ({@link #rebuild} for a full sync, then {@link #apply} with only what changed, each returning the listeners whose
 * route changed) or all at once ({@link #build}, a {@link RouteSnapshot}).
 *
 * <p>Per Service (skipping headless and ExternalName ones) and per port, one listener on every ClusterIP at
 * {@code port}; for NodePort and LoadBalancer Services with a node port, one on every node address at
 * {@code nodePort}; one on every external IP, and for LoadBalancer Services on every ingress IP at {@code port}
 * (those carry {@code loadBalancerSourceRanges}). Each listener's endpoints are of its address's family and
 * chosen by {@link EndpointSelector}. Two claims on one listener are settled by {@link RouteBook}.
 *
 * <p>The routes are a pure function of the inputs (contests are settled in Service-name order), so an unchanged
 * cluster gives equal routes and the data plane keeps its sockets and balancers. Inputs are not modified.
 *
 * <p>A Service whose {@link ServiceInfo}, slice objects and node context are the very instances of the previous
 * build (the change tracker keeps unchanged objects as they were) hands over the previous build's listener keys
 * and {@link Route} objects as they are. The data plane then recognises them by identity instead of comparing
 * every endpoint of every Service, which is what keeps a one-endpoint change cheap at 10,000 Services. Not
 * thread-safe: one sync thread builds.
 */
public final class SnapshotBuilder {

    private final Duration defaultUdpTimeout;
    /** Per Service, what its last build claimed and the inputs it came from. */
    private Map<ObjectRef, Memo> memos = new HashMap<>();
    /** The incremental state of {@link #rebuild} and {@link #apply}; {@link #build} does not touch it. */
    private RouteBook book = new RouteBook(Map.of());
    private @Nullable NodeContext bookNode;
    private boolean addressesChanged;

    /** One listener claim of a service port. */
    record Claim(ListenerKey key, Route route) {
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

    /** The UDP idle timeout of Services without the udp-timeout annotation. */
    Duration defaultUdpTimeout() {
        return defaultUdpTimeout;
    }

    /** Builds with no previous snapshot: conflicts go to the Service that sorts first. */
    public BuildResult build(ClusterState state, NodeContext node) {
        return build(state, node, RouteSnapshot.EMPTY);
    }

    /**
     * Builds the whole snapshot at once, for tests and tools; the agent's syncs use {@link #rebuild} and
     * {@link #apply}. Use one style or the other on one builder: they share the memo of unchanged Services.
     *
     * @param previous the snapshot being served, so that a contested listener stays with its current holder
     */
    public BuildResult build(ClusterState state, NodeContext node, RouteSnapshot previous) {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(previous, "previous");
        RouteBook one = new RouteBook(previous.routes());
        Map<ObjectRef, Memo> nextMemos = new HashMap<>(state.services().size() * 4 / 3 + 1);
        Set<ListenerKey> claimOrder = new LinkedHashSet<>();
        for (ServiceInfo service : state.services().values()) {
            List<Claim> claims = claims(service, state.slicesOf(service.ref()), node, nextMemos);
            one.put(service.ref(), service.isHeadless(), service.ports().size(), claims);
            claims.forEach(c -> claimOrder.add(c.key()));
        }
        memos = nextMemos;
        one.resolve();
        Map<ListenerKey, Route> routes = new LinkedHashMap<>();
        for (ListenerKey key : claimOrder) {
            routes.put(key, one.routes().get(key));
        }
        return new BuildResult(new RouteSnapshot(routes), one.problems(), one.counts());
    }

    /**
     * A full sync: makes the kept state exactly {@code state} on {@code node} (every Service considered; the ones
     * whose inputs are the very instances of last time hand over their routes as they are) and returns what changed.
     */
    public RouteUpdate rebuild(ClusterState state, NodeContext node) {
        Set<ObjectRef> gone = new HashSet<>(book.services());
        for (ServiceInfo service : state.services().values()) {
            gone.remove(service.ref());
            put(service, state.slicesOf(service.ref()), node);
        }
        for (ObjectRef ref : gone) {
            book.remove(ref);
            memos.remove(ref);
        }
        bookNode = node;
        return update();
    }

    /**
     * A partial sync: rebuilds the Services named by {@code changes} alone and returns what changed. Costs what
     * changed: nothing else is looked at.
     *
     * @throws IllegalStateException when {@code node} differs from the last build's: every Service depends on it,
     *                               so that takes {@link #rebuild}
     */
    public RouteUpdate apply(ClusterChanges changes, NodeContext node) {
        if (!node.equals(bookNode)) {
            throw new IllegalStateException("the node changed since the last build (" + bookNode + " -> " + node
                    + "): rebuild everything instead");
        }
        changes.services().forEach((ref, now) -> {
            if (now.service() == null) {
                book.remove(ref);
                memos.remove(ref);
            } else {
                put(now.service(), now.slices(), node);
            }
        });
        return update();
    }

    /** The route every listener serves after the last {@link #rebuild} or {@link #apply}; a live read-only view. */
    public Map<ListenerKey, Route> routes() {
        return book.routes();
    }

    /** The Service addresses of every listener now (see {@link RouteBook#serviceAddresses()}). */
    public Set<InetAddress> serviceAddresses() {
        return book.serviceAddresses();
    }

    /** Whether the last {@link #rebuild} or {@link #apply} added or removed a Service address. */
    public boolean serviceAddressesChanged() {
        return addressesChanged;
    }

    private RouteUpdate update() {
        RouteChanges changes = book.resolve();
        addressesChanged = book.takeAddressesChanged();
        return new RouteUpdate(changes, book.problems(), book.counts());
    }

    private void put(ServiceInfo service, List<EndpointSliceInfo> slices, NodeContext node) {
        book.put(service.ref(), service.isHeadless(), service.ports().size(), claims(service, slices, node, memos));
    }

    /** The claims of one Service, reused from its memo when its inputs are the very same instances; recorded. */
    private List<Claim> claims(ServiceInfo service, List<EndpointSliceInfo> slices, NodeContext node,
            Map<ObjectRef, Memo> into) {
        if (service.isHeadless()) {
            into.remove(service.ref());
            return List.of();
        }
        Memo memo = memos.get(service.ref());
        if (memo == null || !memo.madeFrom(service, slices, node)) {
            List<Claim> made = new ArrayList<>();
            for (ServicePortInfo port : service.ports()) {
                claimPort(service, port, new EndpointSelector(service, port, slices, node), node, made);
            }
            memo = new Memo(service, slices, node, List.copyOf(made));
        }
        into.put(service.ref(), memo);
        return memo.claims();
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
        private final ProxyProtocolOptions proxyProtocol;

        Frontends(ServiceInfo service, ServicePortInfo port, ServicePortName name, EndpointSelector selector,
                List<Claim> claims) {
            this.service = service;
            this.port = port;
            this.name = name;
            this.selector = selector;
            this.claims = claims;
            this.proxyProtocol = service.proxyProtocol().forPort(port);
        }

        void claimAll(FrontendKind kind, List<InetAddress> addresses, int listenPort) {
            for (InetAddress address : addresses) {
                List<Endpoint> endpoints = selector.endpointsFor(kind, AddressType.of(address));
                List<Cidr> ranges = kind == FrontendKind.LOAD_BALANCER ? service.loadBalancerSourceRanges() : List.of();
                Duration udpTimeout = service.udpTimeout() != null ? service.udpTimeout() : defaultUdpTimeout;
                Route route = new Route(name, kind, endpoints, service.sessionAffinity(), udpTimeout, ranges,
                        proxyProtocol, service.outlierDetection(), service.lifecycle(), service.algorithm(),
                        service.healthCheck());
                claims.add(new Claim(ListenerKey.of(port.protocol(), new InetSocketAddress(address, listenPort)), route));
            }
        }
    }
}
