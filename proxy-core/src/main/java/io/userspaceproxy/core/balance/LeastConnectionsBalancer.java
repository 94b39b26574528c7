package io.userspaceproxy.core.balance;

import io.userspaceproxy.core.model.Endpoint;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The endpoint with the fewest open TCP connections on this node, ties broken in turn. Each endpoint's count is an
 * {@link EndpointLoad} shared by every balancer of the service port (its listeners, and the balancers later syncs
 * make), so a connection counted by one is released into the same counter whatever the route looks like by then. A
 * pick reads the counters of the balancer's own array, starting at a rotating position so that equal counts take
 * turns: O(endpoints), no allocation, no lock. UDP flows are picked the same way but not counted: a flow has no
 * connect and no end the way a connection has.
 */
final class LeastConnectionsBalancer implements LoadBalancer {

    private final Endpoint[] endpoints;
    private final EndpointLoad[] loads;
    private final List<Endpoint> endpointList;
    private final Map<Endpoint, EndpointLoad> shared;
    private final AtomicInteger cursor;
    private final AtomicInteger retries = new AtomicInteger();

    LeastConnectionsBalancer(List<Endpoint> endpoints, Map<Endpoint, EndpointLoad> shared, AtomicInteger cursor) {
        this.endpoints = endpoints.toArray(new Endpoint[0]);
        this.endpointList = List.copyOf(endpoints);
        this.shared = shared;
        this.cursor = cursor;
        this.loads = new EndpointLoad[this.endpoints.length];
        for (int i = 0; i < loads.length; i++) {
            loads[i] = shared.computeIfAbsent(this.endpoints[i], e -> new EndpointLoad());
        }
    }

    /** A balancer with counters of its own, for one service port. */
    static LeastConnectionsBalancer create(List<Endpoint> endpoints) {
        return new LeastConnectionsBalancer(endpoints, new ConcurrentHashMap<>(), new AtomicInteger());
    }

    @Override
    public @Nullable Endpoint pick(InetAddress client) {
        int n = endpoints.length;
        if (n == 0) {
            return null;
        }
        int start = (cursor.getAndIncrement() & Integer.MAX_VALUE) % n;
        int best = start;
        int bestLoad = loads[start].get();
        for (int k = 1; k < n && bestLoad > 0; k++) {
            int i = (start + k) % n;
            int load = loads[i].get();
            if (load < bestLoad) {
                best = i;
                bestLoad = load;
            }
        }
        return endpoints[best];
    }

    @Override
    public @Nullable Endpoint pickAfterFailure(InetAddress client, Endpoint failed, Endpoint first) {
        return RoundRobinBalancer.next(endpoints, failed, first, cursor, retries);
    }

    @Override
    public EndpointLoad onConnected(Endpoint endpoint) {
        EndpointLoad load = shared.computeIfAbsent(endpoint, e -> new EndpointLoad());
        load.incrementAndGet();
        return load;
    }

    @Override
    public List<Endpoint> endpoints() {
        return endpointList;
    }

    /** Keeps the counters of the endpoints that stay (their connections are still open), drops the others'. */
    @Override
    public LoadBalancer withEndpoints(List<Endpoint> newEndpoints) {
        shared.keySet().retainAll(newEndpoints);
        return new LeastConnectionsBalancer(newEndpoints, shared, cursor);
    }

    @Override
    public String toString() {
        return "LeastConnections" + Arrays.toString(endpoints) + Arrays.toString(loads);
    }
}
