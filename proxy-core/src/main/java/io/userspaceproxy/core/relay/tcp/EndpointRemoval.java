package io.userspaceproxy.core.relay.tcp;

import io.userspaceproxy.core.metrics.CloseReason;
import io.userspaceproxy.core.model.ConnectionLifecycle;
import io.userspaceproxy.core.table.LiveRoute;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * What an open connection does when its endpoint leaves its route ({@link ConnectionLifecycle#onRemoval()}): go on
 * (keep, the default), reset at once (close), or go on for the drain time and then close unless the endpoint has
 * come back meanwhile. Runs on the connection's event loop, reading the route its listener serves now, so a route
 * changed twice in a row is judged by the latest. A connection whose listener is gone (its whole Service left) keeps
 * going, as it does today.
 */
final class EndpointRemoval {

    private EndpointRemoval() {
    }

    /** Judges {@code connection} against its listener's route now; on its event loop. */
    static void check(TcpConnection connection) {
        LiveRoute route = connection.isClosed() ? null : currentRoute(connection);
        if (route == null || route.route().endpoints().contains(connection.endpoint())) {
            return;
        }
        ConnectionLifecycle lifecycle = route.route().lifecycle();
        switch (lifecycle.onRemoval()) {
            case KEEP -> { }
            case CLOSE -> connection.close(CloseReason.ENDPOINT_REMOVED);
            case DRAIN -> connection.frontend().eventLoop().schedule(() -> afterDrain(connection),
                    lifecycle.drain().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /** The drain is over: close unless the endpoint is back in the route. */
    private static void afterDrain(TcpConnection connection) {
        if (connection.isClosed()) {
            return;
        }
        LiveRoute route = currentRoute(connection);
        if (route == null || !route.route().endpoints().contains(connection.endpoint())) {
            connection.close(CloseReason.ENDPOINT_REMOVED);
        }
    }

    /** The route of the connection's listener now; null when it has none, or the connection never connected. */
    private static @Nullable LiveRoute currentRoute(TcpConnection connection) {
        TcpListenerContext context = connection.context();
        return context == null ? null : context.lookupRoute();
    }
}
