package io.userspaceproxy.agent.sync;

import io.userspaceproxy.agent.state.AddressType;
import io.userspaceproxy.agent.state.EndpointInfo;
import io.userspaceproxy.agent.state.EndpointPortInfo;
import io.userspaceproxy.agent.state.EndpointSliceInfo;
import io.userspaceproxy.agent.state.ServiceInfo;
import io.userspaceproxy.agent.state.ServicePortInfo;
import io.userspaceproxy.agent.state.TrafficPolicy;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.FrontendKind;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The usable endpoints of one Service port, per frontend kind and IP family, by kube-proxy's rules
 * ({@code pkg/proxy/topology.go} CategorizeEndpoints):
 * <ul>
 *   <li>a slice port serves a Service port when name and protocol are equal; an endpoint's first address is used;
 *       an {@code ip:port} listed twice (in two slices) counts once, the more usable instance winning;</li>
 *   <li>usable = ready; when nothing is ready, the endpoints that are serving and terminating (so connections
 *       keep working while a rollout drains the last pods);</li>
 *   <li>traffic policy {@code Local} (internal for ClusterIP frontends, external for the others) first keeps
 *       only the endpoints on this node, then applies the same rule;</li>
 *   <li>with policy {@code Cluster}, zone hints narrow the ready endpoints to this node's zone when the Service
 *       asks for it, every ready endpoint has hints and at least one names this zone; never on the terminating
 *       fallback.</li>
 * </ul>
 * The result is sorted by address then port, so round-robin order does not depend on event order. Not
 * thread-safe; one instance per Service port per build.
 */
final class EndpointSelector {

    private record Key(AddressType family, boolean external) {
    }

    private record Candidate(InetSocketAddress address, EndpointInfo info) {
        int rank() {
            return info.isReady() ? 2 : info.isServing() && info.isTerminating() ? 1 : 0;
        }
    }

    private static final Comparator<Candidate> ORDER = Comparator
            .comparing((Candidate c) -> c.address().getAddress().getAddress(), Arrays::compareUnsigned)
            .thenComparingInt(c -> c.address().getPort());

    private final ServiceInfo service;
    private final NodeContext node;
    private final List<Candidate> candidates;
    private final Map<Key, List<Endpoint>> selected = new HashMap<>();

    EndpointSelector(ServiceInfo service, ServicePortInfo port, List<EndpointSliceInfo> slices, NodeContext node) {
        this.service = service;
        this.node = node;
        this.candidates = collect(port, slices);
    }

    /** The endpoints a listener of {@code kind} on an address of {@code family} relays to. */
    List<Endpoint> endpointsFor(FrontendKind kind, AddressType family) {
        return selected.computeIfAbsent(new Key(family, kind.isExternal()), this::select);
    }

    private List<Endpoint> select(Key key) {
        TrafficPolicy policy = key.external() ? service.externalTrafficPolicy() : service.internalTrafficPolicy();
        List<Candidate> pool = filter(candidates, c -> key.family().matches(c.address().getAddress()));
        if (policy == TrafficPolicy.LOCAL) {
            pool = filter(pool, c -> c.info().isOnNode(node.nodeName()));
        }
        List<Candidate> ready = filter(pool, c -> c.info().isReady());
        List<Candidate> chosen;
        if (!ready.isEmpty()) {
            chosen = policy == TrafficPolicy.CLUSTER ? narrowToZone(ready) : ready;
        } else {
            chosen = filter(pool, c -> c.info().isServing() && c.info().isTerminating());
        }
        List<Endpoint> out = new ArrayList<>(chosen.size());
        for (Candidate c : chosen) {
            out.add(new Endpoint(c.address()));
        }
        return List.copyOf(out);
    }

    private List<Candidate> narrowToZone(List<Candidate> ready) {
        String zone = node.zone();
        if (!service.prefersSameZone() || zone == null || zone.isEmpty()) {
            return ready;
        }
        boolean anyForZone = false;
        for (Candidate c : ready) {
            List<String> hints = c.info().zoneHints();
            if (hints.isEmpty()) {
                return ready;
            }
            anyForZone |= hints.contains(zone);
        }
        return anyForZone ? filter(ready, c -> c.info().zoneHints().contains(zone)) : ready;
    }

    private static List<Candidate> collect(ServicePortInfo port, List<EndpointSliceInfo> slices) {
        Map<InetSocketAddress, Candidate> unique = new LinkedHashMap<>();
        for (EndpointSliceInfo slice : slices) {
            EndpointPortInfo slicePort = matchingPort(slice, port);
            if (slicePort == null) {
                continue;
            }
            for (EndpointInfo info : slice.endpoints()) {
                Candidate c = new Candidate(new InetSocketAddress(info.address(), slicePort.port()), info);
                unique.merge(c.address(), c, (kept, next) -> next.rank() > kept.rank() ? next : kept);
            }
        }
        List<Candidate> out = new ArrayList<>(unique.values());
        out.sort(ORDER);
        return out;
    }

    private static EndpointPortInfo matchingPort(EndpointSliceInfo slice, ServicePortInfo port) {
        for (EndpointPortInfo p : slice.ports()) {
            if (p.name().equals(port.name()) && p.protocol() == port.protocol()) {
                return p;
            }
        }
        return null;
    }

    private static List<Candidate> filter(List<Candidate> in, Predicate<Candidate> keep) {
        List<Candidate> out = new ArrayList<>(in.size());
        for (Candidate c : in) {
            if (keep.test(c)) {
                out.add(c);
            }
        }
        return out;
    }
}
