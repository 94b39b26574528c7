package io.userspaceproxy.core.model;

import java.time.Duration;
import java.util.Objects;

/**
 * How long a proxied TCP connection of one route may live: what happens to it when its endpoint leaves the route,
 * and the age at which it is closed however busy it is, so that long-lived clients (HTTP/2, gRPC) come back and
 * land on today's endpoints.
 *
 * @param onRemoval what a connection to an endpoint that left the route does
 * @param drain     for {@link Removal#DRAIN}: how long it may go on; {@link Duration#ZERO} otherwise
 * @param maxAge    the age past which a connection is closed (plus up to 10 % random jitter); zero for no limit
 */
public record ConnectionLifecycle(Removal onRemoval, Duration drain, Duration maxAge) {

    /** Today's: connections outlive their endpoint's removal, as iptables' conntrack entries do, and never age out. */
    public static final ConnectionLifecycle DEFAULT =
            new ConnectionLifecycle(Removal.KEEP, Duration.ZERO, Duration.ZERO);

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
    }

    public ConnectionLifecycle withMaxAge(Duration age) {
        return new ConnectionLifecycle(onRemoval, drain, age);
    }

    public ConnectionLifecycle withRemoval(Removal removal, Duration drainTime) {
        return new ConnectionLifecycle(removal, drainTime, maxAge);
    }
}
