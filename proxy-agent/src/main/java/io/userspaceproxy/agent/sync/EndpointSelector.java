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
import org.jspecify.annotations.Nullable;

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
 *   <li>with policy {@code Cluster}, topology hints narrow the ready endpoints: to those hinted for this node
 *       ({@code hints.forNodes}, {@code PreferSameNode}) when every ready endpoint has a node hint and one names
 *       this node; else to those hinted for this node's zone when every ready endpoint has a zone hint and one
 *       names the zone; never on the terminating fallback. {@code Local} wins over hints, as in kube-proxy, which
 *       applies topology only to Cluster-policy endpoints.</li>
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
            chosen = policy == TrafficPolicy.CLUSTER ? applyTopology(ready) : ready;
        } else {
            chosen = filter(pool, c -> c.info().isServing() && c.info().isTerminating());
        }
        List<Endpoint> out = new ArrayList<>(chosen.size());
        for (Candidate c : chosen) {
            out.add(new Endpoint(c.address()));
        }
        return List.copyOf(out);
    }

    /**
     * kube-proxy's topology filter ({@code topologyModeFromHints} and {@code availableForTopology}, 1.33 to 1.35):
     * the hints alone decide, whatever the Service says, because the EndpointSlice controller writes them only for
     * Services that ask ({@code trafficDistribution}, or the {@code topology-mode} annotation). Only ready endpoints
     * are looked at. When every one has a node hint and one names this node, the endpoints hinted for this node
     * ({@code PreferSameNode}); otherwise, when every one has a zone hint and one names this node's zone, the
     * endpoints hinted for the zone ({@code PreferSameZone}, {@code PreferClose}); otherwise all of them.
     */
    private List<Candidate> applyTopology(List<Candidate> ready) {
        String nodeName = node.nodeName();
        String zone = node.zone();
        boolean allNodeHinted = true;
        boolean anyForNode = false;
        boolean allZoneHinted = true;
        boolean anyForZone = false;
        for (Candidate c : ready) {
            List<String> nodeHints = c.info().nodeHints();
            allNodeHinted &= !nodeHints.isEmpty();
            anyForNode |= nodeHints.contains(nodeName);
            List<String> zoneHints = c.info().zoneHints();
            allZoneHinted &= !zoneHints.isEmpty();
            anyForZone |= zone != null && !zone.isEmpty() && zoneHints.contains(zone);
        }
        if (allNodeHinted && anyForNode) {
            return filter(ready, c -> c.info().nodeHints().contains(nodeName));
        }
        if (allZoneHinted && anyForZone) {
            return filter(ready, c -> c.info().zoneHints().contains(zone));
        }
        return ready;
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

    private static @Nullable EndpointPortInfo matchingPort(EndpointSliceInfo slice, ServicePortInfo port) {
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
