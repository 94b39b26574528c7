package io.userspaceproxy.core.table;

import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.balance.LoadBalancer;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.ProxySnapshot;
import io.userspaceproxy.core.model.Route;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The routes the data plane serves, keyed by listener. Immutable: the control plane builds a new table from a
 * {@link ProxySnapshot} and publishes it with one volatile write; event loops read it without locks, one
 * {@link #lookup} per accepted connection or new UDP flow.
 *
 * <p>Building reuses what still applies from the previous table: an unchanged route keeps its
 * {@link ServiceRoute} instance, and a route whose endpoints changed keeps its balancer's rotation (and affinity
 * memory) through {@link LoadBalancer#withEndpoints}.
 */
public final class ProxyTable {

    public static final ProxyTable EMPTY = new ProxyTable(Map.of());

    private final Map<ListenerKey, ServiceRoute> routes;

    private ProxyTable(Map<ListenerKey, ServiceRoute> routes) {
        this.routes = routes;
    }

    /** The route served on {@code key}, or {@code null} when the listener is no longer in the table. */
    public ServiceRoute lookup(ListenerKey key) {
        return routes.get(key);
    }

    public Map<ListenerKey, ServiceRoute> routes() {
        return routes;
    }

    public int size() {
        return routes.size();
    }

    /**
     * Builds the table for {@code snapshot}, reusing from {@code previous} what did not change.
     *
     * @param factory  makes balancers for routes that are new or whose affinity changed
     * @param counters where each service port's counters live
     */
    public static ProxyTable build(ProxySnapshot snapshot, ProxyTable previous, BalancerFactory factory,
            ProxyCounters counters) {
        Map<ListenerKey, ServiceRoute> next = new HashMap<>(Math.max(16, snapshot.size() * 4 / 3 + 1));
        for (Map.Entry<ListenerKey, Route> e : snapshot.routes().entrySet()) {
            Route route = e.getValue();
            ServiceRoute old = previous.routes.get(e.getKey());
            next.put(e.getKey(), reuseOrBuild(route, old, factory, counters));
        }
        return new ProxyTable(Collections.unmodifiableMap(next));
    }

    private static ServiceRoute reuseOrBuild(Route route, ServiceRoute old, BalancerFactory factory,
            ProxyCounters counters) {
        // Identity first: the control plane hands unchanged routes over as the same objects, and a record's equals
        // would otherwise compare every endpoint of every route at every sync.
        if (old != null && (old.route() == route || old.route().equals(route))) {
            return old;
        }
        LoadBalancer balancer;
        if (old != null && sameBalancing(old.route(), route)) {
            balancer = old.balancer().withEndpoints(route.endpoints());
        } else {
            balancer = factory.create(route);
        }
        return new ServiceRoute(route, balancer, counters.forServicePort(route.servicePort()));
    }

    private static boolean sameBalancing(Route a, Route b) {
        return a.servicePort().equals(b.servicePort()) && a.affinity().equals(b.affinity());
    }

    /** What a switch from {@code previous} to this table changes for the sockets. */
    public TableDiff diffFrom(ProxyTable previous) {
        Set<ListenerKey> added = new HashSet<>();
        Set<ListenerKey> changed = new HashSet<>();
        int unchanged = 0;
        for (Map.Entry<ListenerKey, ServiceRoute> e : routes.entrySet()) {
            ServiceRoute old = previous.routes.get(e.getKey());
            if (old == null) {
                added.add(e.getKey());
            } else if (old != e.getValue()) {
                changed.add(e.getKey());
            } else {
                unchanged++;
            }
        }
        Set<ListenerKey> removed = new HashSet<>(previous.routes.keySet());
        removed.removeAll(routes.keySet());
        return new TableDiff(added, removed, changed, unchanged);
    }
}
