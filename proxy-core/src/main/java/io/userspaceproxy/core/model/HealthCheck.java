package io.userspaceproxy.core.model;

import java.time.Duration;
import java.util.Objects;

/**
 * An active TCP health check of a service port's endpoints: every {@code interval}, one connect per endpoint from
 * this node (not per client), which must succeed within {@code timeout}; {@code unhealthy} failures in a row take an
 * endpoint out of picks, {@code healthy} successes in a row bring it back.
 *
 * @param interval  time between two checks of one endpoint, {@code > 0}; {@link Duration#ZERO} turns checks off
 * @param timeout   how long a check's connect may take, {@code > 0}
 * @param unhealthy failures in a row that mark an endpoint unhealthy, {@code >= 1}
 * @param healthy   successes in a row that mark it healthy again, {@code >= 1}
 */
public record HealthCheck(Duration interval, Duration timeout, int unhealthy, int healthy) {

    public static final HealthCheck OFF = new HealthCheck(Duration.ZERO, Duration.ofSeconds(1), 2, 2);
    /** {@code tcp} with nothing else: every 2 s, 1 s to connect, 2 failures out, 2 successes back. */
    public static final HealthCheck TCP = new HealthCheck(Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 2);

    public HealthCheck {
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(timeout, "timeout");
        if (interval.isNegative() || timeout.isNegative() || timeout.isZero() || unhealthy < 1 || healthy < 1) {
            throw new IllegalArgumentException("health check: interval " + interval + ", timeout " + timeout
                    + ", unhealthy " + unhealthy + ", healthy " + healthy
                    + " (expected: interval >= 0, timeout > 0, thresholds >= 1)");
        }
    }

    public boolean enabled() {
        return !interval.isZero();
    }
}
