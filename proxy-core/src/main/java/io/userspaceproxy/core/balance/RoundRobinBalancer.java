package io.userspaceproxy.core.balance;

import io.userspaceproxy.core.model.Endpoint;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Round-robin over an immutable array with one shared cursor. {@link #pick} is one atomic increment and an
 * array read: no allocation, no lock. The cursor carries over to the balancer built for a new endpoint set, so
 * a sync does not send the next connection back to the first endpoint.
 */
final class RoundRobinBalancer implements LoadBalancer {

    private final Endpoint[] endpoints;
    private final List<Endpoint> endpointList;
    private final AtomicInteger cursor;
    /** Spreads retries over the endpoints other than the failed one; apart from {@link #cursor} (see {@link #next}). */
    private final AtomicInteger retries = new AtomicInteger();

    RoundRobinBalancer(Endpoint[] endpoints, AtomicInteger cursor) {
        this.endpoints = endpoints;
        this.endpointList = List.of(endpoints);
        this.cursor = cursor;
    }

    @Override
    public @Nullable Endpoint pick(InetAddress client) {
        Endpoint[] eps = endpoints;
        int n = eps.length;
        if (n == 0) {
            return null;
        }
        return eps[(cursor.getAndIncrement() & Integer.MAX_VALUE) % n];
    }

    @Override
    public @Nullable Endpoint pickAfterFailure(InetAddress client, Endpoint failed, Endpoint first) {
        return next(endpoints, failed, first, cursor, retries);
    }

    /**
     * The endpoint to retry after {@code failed}: the {@code retries} cursor walks over the other {@code n - 1}
     * endpoints, so retries spread evenly over them. Always taking the one after {@code failed} sent every retry of
     * a dead endpoint to its one neighbour, which then took twice its share (973 vs 487 connections measured in
     * issue 11). The retry cursor is apart from {@code cursor} so that retries do not shift the rotation of first
     * picks. That is the first retry of a connection ({@code failed} is {@code first}); a later one takes the
     * endpoint after {@code failed}, skipping {@code first}, so one connection's attempts stay on distinct endpoints.
     * {@code failed} itself only when it is the only endpoint; a fresh pick when it is gone from {@code eps}. No
     * allocation: a scan of the array and at most one atomic increment.
     */
    static @Nullable Endpoint next(Endpoint[] eps, Endpoint failed, @Nullable Endpoint first, AtomicInteger cursor,
            AtomicInteger retries) {
        int n = eps.length;
        if (n == 0) {
            return null;
        }
        for (int i = 0; i < n; i++) {
            if (eps[i].equals(failed)) {
                if (n == 1) {
                    return eps[0];
                }
                if (first == null || first.equals(failed)) {
                    return eps[(i + 1 + (retries.getAndIncrement() & Integer.MAX_VALUE) % (n - 1)) % n];
                }
                Endpoint after = eps[(i + 1) % n];
                return after.equals(first) && n > 2 ? eps[(i + 2) % n] : after;
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
