package io.userspaceproxy.core.relay.tcp;

import io.userspaceproxy.core.metrics.CloseReason;
import io.userspaceproxy.core.model.ConnectionLifecycle;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongUnaryOperator;

/**
 * The maximum connection age: a connection of a route with {@link ConnectionLifecycle#maxAge()} is closed in both
 * directions at that age plus a jitter drawn uniformly from [0, 10 %] of it, so that the connections a scale-up
 * should rebalance do not all come back in the same second. One task on the connection's event loop, scheduled
 * only for routes that ask, cancelled when the connection closes first.
 */
final class ConnectionAge {

    /** Draws the jitter for an age: uniform in [0, age / 10]. */
    static final LongUnaryOperator JITTER = age -> ThreadLocalRandom.current().nextLong(age / 10 + 1);

    private ConnectionAge() {
    }

    /** Schedules {@code connection}'s close at its route's maximum age, if it has one. */
    static void limit(TcpConnection connection, ConnectionLifecycle lifecycle) {
        long age = lifecycle.maxAge().toNanos();
        if (age == 0 || connection.isClosed()) {
            return;
        }
        connection.limitAge(connection.frontend().eventLoop().schedule(
                () -> connection.close(CloseReason.MAX_AGE), deadline(age, JITTER), TimeUnit.NANOSECONDS));
    }

    /** {@code age} plus the jitter {@code jitter} draws for it: within [age, 1.1 × age]. */
    static long deadline(long age, LongUnaryOperator jitter) {
        return age + Math.min(jitter.applyAsLong(age), age / 10);
    }
}
