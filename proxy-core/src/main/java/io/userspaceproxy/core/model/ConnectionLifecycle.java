package io.userspaceproxy.core.model;

import java.time.Duration;
import java.util.Objects;

/**
 * How long a proxied connection of one route may live: how long a new one may wait for an endpoint while the route
 * has none, what happens to it when its endpoint leaves the route, and the age at which it is closed however busy it
 * is, so that long-lived clients (HTTP/2, gRPC) come back and land on today's endpoints.
 *
 * @param onRemoval what a connection to an endpoint that left the route does
 * @param drain     for {@link Removal#DRAIN}: how long it may go on; {@link Duration#ZERO} otherwise
 * @param maxAge    the age past which a connection is closed (plus up to 10 % random jitter); zero for no limit
 * @param hold      how long a new connection (or UDP flow) is held, unread, while the route has no endpoint; zero to
 *                  refuse it at once, as kube-proxy does
 * @param holdLimit how many may be held at once for the service port; past it they are refused at once
 */
public record ConnectionLifecycle(Removal onRemoval, Duration drain, Duration maxAge, Duration hold, int holdLimit) {

    /** The held connections a service port may have when its Service does not say ({@code hold-limit}). */
    public static final int DEFAULT_HOLD_LIMIT = 1_000;

    /**
     * Today's: connections outlive their endpoint's removal, as iptables' conntrack entries do, never age out, and
     * are refused while there is no endpoint.
     */
    public static final ConnectionLifecycle DEFAULT =
            new ConnectionLifecycle(Removal.KEEP, Duration.ZERO, Duration.ZERO, Duration.ZERO, DEFAULT_HOLD_LIMIT);

    /** What happens to the open connections of an endpoint that leaves its route. */
    public enum Removal {
        /** They go on until they end (kube-proxy's, through conntrack). */
        KEEP,
        /** They are reset at once, as Cilium does. */
        CLOSE,
        /** They go on for {@code drain}, then are closed if still open and the endpoint has not come back. */
        DRAIN
    }

    public ConnectionLifecycle {
        Objects.requireNonNull(onRemoval, "onRemoval");
        if (drain.isNegative() || (onRemoval == Removal.DRAIN) == drain.isZero()) {
            throw new IllegalArgumentException("drain: " + drain + " (expected: > 0 for DRAIN only)");
        }
        if (maxAge.isNegative()) {
            throw new IllegalArgumentException("maxAge: " + maxAge + " (expected: >= 0)");
        }
        if (hold.isNegative()) {
            throw new IllegalArgumentException("hold: " + hold + " (expected: >= 0)");
        }
        if (holdLimit <= 0) {
            throw new IllegalArgumentException("holdLimit: " + holdLimit + " (expected: > 0)");
        }
    }

    public ConnectionLifecycle withMaxAge(Duration age) {
        return new ConnectionLifecycle(onRemoval, drain, age, hold, holdLimit);
    }

    public ConnectionLifecycle withRemoval(Removal removal, Duration drainTime) {
        return new ConnectionLifecycle(removal, drainTime, maxAge, hold, holdLimit);
    }

    public ConnectionLifecycle withHold(Duration time, int limit) {
        return new ConnectionLifecycle(onRemoval, drain, maxAge, time, limit);
    }

    /** Whether new connections wait for an endpoint while there is none. */
    public boolean holdsWhenEmpty() {
        return !hold.isZero();
    }
}
