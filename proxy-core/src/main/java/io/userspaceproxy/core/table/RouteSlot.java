package io.userspaceproxy.core.table;

import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The route one listener serves now: one volatile field that the control plane writes and that every connection
 * accepted on the listener (or every new UDP flow) reads once. Publishing a changed route is that one write; there is
 * no table to look the listener up in on the hot path. {@code null} once the listener's key has left the table: the
 * listener is closing, and a connection that slipped in meanwhile is refused.
 *
 * <p>One slot per listener key for the key's whole life in the table; a key that leaves and comes back gets a new
 * slot (and a new listener).
 */
public final class RouteSlot implements Supplier<@Nullable LiveRoute> {

    private volatile @Nullable LiveRoute route;

    /** A slot serving {@code route}; {@code null} for a slot that serves nothing yet. */
    public RouteSlot(@Nullable LiveRoute route) {
        this.route = route;
    }

    /** The route served now, or {@code null} when the listener is going away. */
    @Override
    public @Nullable LiveRoute get() {
        return route;
    }

    /** Publishes {@code next} to every connection accepted from now on. Control plane only. */
    void set(@Nullable LiveRoute next) {
        route = next;
    }

    @Override
    public String toString() {
        return String.valueOf(route);
    }
}
