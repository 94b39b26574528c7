package io.userspaceproxy.core.balance;

import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.Route;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Chooses the endpoint for a new connection or UDP flow. Implementations are immutable in their endpoint set
 * and safe to call from any event loop without locks; a change of endpoints makes a new balancer through
 * {@link #withEndpoints(List)}, which keeps whatever position or memory still applies.
 */
public interface LoadBalancer {

    /**
     * The endpoint for a new connection from {@code client}, or {@code null} when there is none. Called once per
     * accepted connection or new UDP flow, never per packet.
     */
    @Nullable Endpoint pick(InetAddress client);

    /**
     * The endpoint to try after a connect to {@code failed} did not succeed: one of the others, taken in turn, so
     * that a retry never lands on the endpoint that just failed while another exists and the retries of a dead
     * endpoint spread evenly over the rest (not all onto its neighbour). Affinity is reset and re-recorded on the
     * returned endpoint. Returns {@code null} when there is no endpoint at all. Allocation-free.
     */
    default @Nullable Endpoint pickAfterFailure(InetAddress client, Endpoint failed) {
        return pickAfterFailure(client, failed, failed);
    }

    /**
     * {@link #pickAfterFailure(InetAddress, Endpoint)} for a connection whose first attempt went to {@code first}:
     * its first retry ({@code failed} is {@code first}) spreads over the others in turn; each later retry takes the
     * endpoint after {@code failed} in order, skipping {@code first}, so that one connection's attempts walk
     * distinct endpoints (as many as there are) rather than coming back to one that already failed.
     */
    @Nullable Endpoint pickAfterFailure(InetAddress client, Endpoint failed, Endpoint first);

    /** A connect to {@code endpoint} failed (refused, reset, timed out): outlier detection counts it. */
    default void onConnectFailed(Endpoint endpoint) {
    }

    /**
     * A connect to {@code endpoint} succeeded: outlier detection clears its record, least-connections counts it.
     *
     * @return the counter the connection must {@link EndpointLoad#release()} when it ends, or null when nothing is
     *         counted
     */
    default @Nullable EndpointLoad onConnected(Endpoint endpoint) {
        return null;
    }

    /** The endpoints this balancer chooses from, in order. */
    List<Endpoint> endpoints();

    /** A balancer of the same kind over {@code newEndpoints}, continuing this one's rotation. */
    LoadBalancer withEndpoints(List<Endpoint> newEndpoints);

    /** Least connections over {@code endpoints}, with counters of its own. */
    static LoadBalancer leastConnections(List<Endpoint> endpoints) {
        return LeastConnectionsBalancer.create(endpoints);
    }

    /** Maglev consistent hashing of the client IP over {@code endpoints}. */
    static LoadBalancer maglev(List<Endpoint> endpoints) {
        return new MaglevBalancer(endpoints);
    }

    /** Round-robin over {@code endpoints} in the given order. */
    static LoadBalancer roundRobin(List<Endpoint> endpoints) {
        return new RoundRobinBalancer(endpoints.toArray(new Endpoint[0]), new java.util.concurrent.atomic.AtomicInteger());
    }

    /**
     * ClientIP session affinity over {@code route}'s endpoints, for {@code route}'s service port and timeout, with
     * its memory in {@code affinities} (shared by every service port). A client IP is held on one endpoint while
     * that endpoint stays among this balancer's endpoints and the client was seen within the timeout; new clients
     * and clients whose endpoint went away are balanced round-robin and remembered there. Each hit is counted with
     * {@link ServicePortCounters#onAffinityHit()}.
     *
     * @throws IllegalArgumentException when {@code route} does not ask for ClientIP affinity
     */
    static LoadBalancer clientIpAffinity(Route route, AffinityTable affinities, ServicePortCounters counters) {
        Objects.requireNonNull(affinities, "affinities");
        Objects.requireNonNull(counters, "counters");
        if (!route.affinity().isClientIp()) {
            throw new IllegalArgumentException("route.affinity: " + route.affinity().type() + " (expected: CLIENT_IP)");
        }
        return new ClientIpAffinityBalancer(affinities, route.servicePort(), route.affinity().timeout().toNanos(),
                counters, route.endpoints());
    }
}
