package io.userspaceproxy.core.model;

import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A change of what the data plane should serve, as small as the change in the cluster: the listeners whose route is
 * new or different, and the listeners to close. Everything not named keeps its listener and its route. The control
 * plane hands one per sync; a {@link RouteSnapshot} (the whole desired state) is only needed to start from nothing.
 *
 * <p>A route handed over as the very instance the data plane already serves on that key changes nothing there, so a
 * producer need not filter those out; an equal but distinct instance is compared by value.
 *
 * @param upserted the route each named listener serves from now on (bound if it has no listener yet)
 * @param removed  listeners to close (their open connections continue until they end)
 */
public record RouteChanges(Map<ListenerKey, Route> upserted, Set<ListenerKey> removed) {

    public static final RouteChanges NONE = new RouteChanges(Map.of(), Set.of());

    public RouteChanges {
        upserted = Collections.unmodifiableMap(new HashMap<>(upserted));
        removed = Set.copyOf(removed);
        for (ListenerKey key : removed) {
            if (upserted.containsKey(key)) {
                throw new IllegalArgumentException("listener " + key + " is both upserted and removed");
            }
        }
    }

    /**
     * What turns {@code current} into {@code next}: every route of {@code next} (the data plane skips the ones it
     * already serves as they are) and every key of {@code current} that {@code next} lacks. Linear in both sizes:
     * for a full resync, never on the per-change path.
     */
    public static RouteChanges between(Set<ListenerKey> current, RouteSnapshot next) {
        Objects.requireNonNull(current, "current");
        Set<ListenerKey> removed = new HashSet<>();
        for (ListenerKey key : current) {
            if (!next.routes().containsKey(key)) {
                removed.add(key);
            }
        }
        return new RouteChanges(next.routes(), removed);
    }

    public boolean isEmpty() {
        return upserted.isEmpty() && removed.isEmpty();
    }
}
