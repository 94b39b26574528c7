package io.userspaceproxy.core.balance;

import io.userspaceproxy.core.model.Endpoint;

/**
 * The endpoint a client is held on, when it was last seen, and the timeout that applies to it.
 *
 * <p>Both times are mutable on purpose: the timeout is whatever the service port's <em>current</em> route says
 * (a changed {@code sessionAffinityConfig} re-stamps live records, see {@link AffinityTable}), and the last-seen
 * time lets a lookup decide expiry against that current timeout even before the cache's own deadline is moved.
 * Written from any event loop; {@code volatile} is enough because a lost race between two simultaneous sightings
 * of one client only shifts its deadline by the width of the race.
 */
final class AffinityRecord {

    final Endpoint endpoint;
    volatile long timeoutNanos;
    volatile long lastSeenNanos;

    AffinityRecord(Endpoint endpoint, long timeoutNanos, long lastSeenNanos) {
        this.endpoint = endpoint;
        this.timeoutNanos = timeoutNanos;
        this.lastSeenNanos = lastSeenNanos;
    }

    /** Nanoseconds this record has left at {@code now} under its current timeout; zero or less means expired. */
    long remainingNanos(long now) {
        return lastSeenNanos + timeoutNanos - now;
    }

    @Override
    public String toString() {
        return endpoint.toString();
    }
}
