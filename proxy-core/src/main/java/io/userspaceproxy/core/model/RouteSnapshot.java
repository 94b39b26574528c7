package io.userspaceproxy.core.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The desired state of the data plane: for every listener to bind, the route it serves. Immutable. The control
 * plane builds a new one per sync and hands it to the listener set, which diffs it against what is bound.
 */
public record RouteSnapshot(Map<ListenerKey, Route> routes) {

    public static final RouteSnapshot EMPTY = new RouteSnapshot(Map.of());

    public RouteSnapshot {
        routes = Collections.unmodifiableMap(new LinkedHashMap<>(routes));
    }

    public int size() {
        return routes.size();
    }
}
