package io.userspaceproxy.core.balance;

import io.userspaceproxy.core.model.Endpoint;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Round-robin over an immutable array with one shared cursor. {@link #pick} is one atomic increment and an
 * array read: no allocation, no lock. The cursor carries over to the balancer built for a new endpoint set, so
 * a sync does not send the next connection back to the first endpoint.
 */
final class RoundRobinBalancer implements LoadBalancer {

    private final Endpoint[] endpoints;
    private final List<Endpoint> endpointList;
    private final AtomicInteger cursor;

    RoundRobinBalancer(Endpoint[] endpoints, AtomicInteger cursor) {
        this.endpoints = endpoints;
        this.endpointList = List.of(endpoints);
        this.cursor = cursor;
    }

    @Override
    public Endpoint pick(InetAddress client) {
        Endpoint[] eps = endpoints;
        int n = eps.length;
        if (n == 0) {
            return null;
        }
        return eps[(cursor.getAndIncrement() & Integer.MAX_VALUE) % n];
    }

    @Override
    public Endpoint pickAfterFailure(InetAddress client, Endpoint failed) {
        return next(endpoints, failed, cursor);
    }

    /** The endpoint after {@code failed} in {@code eps}, or a fresh pick when {@code failed} is not among them. */
    static Endpoint next(Endpoint[] eps, Endpoint failed, AtomicInteger cursor) {
        int n = eps.length;
        if (n == 0) {
            return null;
        }
        for (int i = 0; i < n; i++) {
            if (eps[i].equals(failed)) {
                return eps[(i + 1) % n];
            }
        }
        return eps[(cursor.getAndIncrement() & Integer.MAX_VALUE) % n];
    }

    @Override
    public List<Endpoint> endpoints() {
        return endpointList;
    }

    @Override
    public LoadBalancer withEndpoints(List<Endpoint> newEndpoints) {
        return new RoundRobinBalancer(newEndpoints.toArray(new Endpoint[0]), cursor);
    }

    @Override
    public String toString() {
        return "RoundRobin" + Arrays.toString(endpoints);
    }
}
