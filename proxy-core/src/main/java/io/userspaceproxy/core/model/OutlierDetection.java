package io.userspaceproxy.core.model;

import java.time.Duration;

/**
 * Passive outlier ejection on one service port: an endpoint whose connects fail {@code consecutive} times in a row
 * is left out of picks for {@code base}, doubled on each repeat ejection up to {@link #MAX_EJECTION}, while at most
 * {@code maxPercent} of the endpoints are out at once. One successful connect clears an endpoint's record.
 *
 * @param consecutive failures in a row that eject, {@code >= 1}; {@code 0} turns detection off
 * @param base        how long a first ejection lasts, {@code > 0}
 * @param maxPercent  the most endpoints out at once, as a percentage of the service port's, 0..100
 */
public record OutlierDetection(int consecutive, Duration base, int maxPercent) {

    /** The longest one ejection lasts, however often the endpoint failed. */
    public static final Duration MAX_EJECTION = Duration.ofMinutes(5);
    /** On by default: 3 failures in a row, 10 s, at most half the endpoints. */
    public static final OutlierDetection DEFAULT = new OutlierDetection(3, Duration.ofSeconds(10), 50);
    public static final OutlierDetection OFF = new OutlierDetection(0, Duration.ofSeconds(10), 0);

    public OutlierDetection {
        if (consecutive < 0) {
            throw new IllegalArgumentException("consecutive: " + consecutive + " (expected: >= 0)");
        }
        if (base.isNegative() || base.isZero()) {
            throw new IllegalArgumentException("base: " + base + " (expected: > 0)");
        }
        if (maxPercent < 0 || maxPercent > 100) {
            throw new IllegalArgumentException("maxPercent: " + maxPercent + " (expected: 0..100)");
        }
    }

    public boolean enabled() {
        return consecutive > 0 && maxPercent > 0;
    }

    /** How long the {@code n}-th ejection in a row lasts ({@code n >= 1}): base, doubled each time, capped. */
    public long ejectionNanos(int n) {
        long nanos = base.toNanos();
        for (int i = 1; i < n && nanos < MAX_EJECTION.toNanos(); i++) {
            nanos *= 2;
        }
        return Math.min(nanos, MAX_EJECTION.toNanos());
    }
}
