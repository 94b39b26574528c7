package io.userspaceproxy.core.balance;

import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.ServicePortName;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * ClientIP session affinity: a client IP returns to the endpoint it was last given while that endpoint is still
 * among this balancer's endpoints and the client was seen within the route's timeout; otherwise it gets the next
 * endpoint in round-robin order and is remembered there. The memory lives in the shared {@link AffinityTable}, keyed
 * by service port, so {@link #withEndpoints} only swaps the endpoint set: records pointing at removed endpoints
 * become misses.
 *
 * <p>{@link #pick} on a hit allocates one small key and touches the cache once; misses and failures allocate the new
 * record. Safe from any event loop.
 */
final class ClientIpAffinityBalancer implements LoadBalancer {

    private final AffinityTable affinities;
    private final ServicePortName servicePort;
    private final long timeoutNanos;
    private final ServicePortCounters counters;
    private final Endpoint[] endpoints;
    private final List<Endpoint> endpointList;
    /** Each endpoint mapped to itself: membership, and this route's instance of an endpoint a record names. */
    private final Map<Endpoint, Endpoint> usable;
    private final AtomicInteger cursor;
    private final AtomicInteger retries = new AtomicInteger();

    ClientIpAffinityBalancer(AffinityTable affinities, ServicePortName servicePort, long timeoutNanos,
            ServicePortCounters counters, List<Endpoint> endpoints) {
        this.affinities = affinities;
        this.servicePort = servicePort;
        this.timeoutNanos = timeoutNanos;
        this.counters = counters;
        this.endpoints = endpoints.toArray(new Endpoint[0]);
        this.endpointList = List.of(this.endpoints);
        this.usable = byItself(endpoints);
        this.cursor = new AtomicInteger();
    }

    /** The same service port's balancer over {@code endpoints}, continuing {@code previous}'s rotation. */
    private ClientIpAffinityBalancer(ClientIpAffinityBalancer previous, List<Endpoint> endpoints) {
        this.affinities = previous.affinities;
        this.servicePort = previous.servicePort;
        this.timeoutNanos = previous.timeoutNanos;
        this.counters = previous.counters;
        this.endpoints = endpoints.toArray(new Endpoint[0]);
        this.endpointList = List.of(this.endpoints);
        this.usable = byItself(endpoints);
        this.cursor = previous.cursor;
    }

    private static Map<Endpoint, Endpoint> byItself(List<Endpoint> endpoints) {
        Map<Endpoint, Endpoint> byItself = new HashMap<>();
        endpoints.forEach(e -> byItself.putIfAbsent(e, e));
        return Map.copyOf(byItself);
    }

    @Override
    public @Nullable Endpoint pick(InetAddress client) {
        if (endpoints.length == 0) {
            return null;
        }
        AffinityKey key = new AffinityKey(servicePort, client);
        Endpoint held = affinities.lookup(key, usable, timeoutNanos);
        if (held != null) {
            counters.onAffinityHit();
            return held;
        }
        return affinities.assign(key, this);
    }

    /** Resets the client's affinity to another endpoint than {@code failed} and remembers it there. */
    @Override
    public @Nullable Endpoint pickAfterFailure(InetAddress client, Endpoint failed, Endpoint first) {
        AffinityKey key = new AffinityKey(servicePort, client);
        Endpoint next = RoundRobinBalancer.next(endpoints, failed, first, cursor, retries);
        if (next == null) {
            affinities.forget(key);
        } else {
            affinities.record(key, next, timeoutNanos);
        }
        return next;
    }

    /** The endpoint a client without a usable record gets. Called from {@link AffinityTable#assign} only. */
    Endpoint nextInRotation() {
        return endpoints[(cursor.getAndIncrement() & Integer.MAX_VALUE) % endpoints.length];
    }

    Map<Endpoint, Endpoint> usable() {
        return usable;
    }

    long timeoutNanos() {
        return timeoutNanos;
    }

    @Override
    public List<Endpoint> endpoints() {
        return endpointList;
    }

    @Override
    public LoadBalancer withEndpoints(List<Endpoint> newEndpoints) {
        return new ClientIpAffinityBalancer(this, newEndpoints);
    }

    @Override
    public String toString() {
        return "ClientIpAffinity(" + servicePort + ", " + timeoutNanos / 1_000_000 + " ms)" + Arrays.toString(endpoints);
    }
}
