package io.userspaceproxy.core.table;

import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.balance.LoadBalancer;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteChanges;
import io.userspaceproxy.core.model.RouteSnapshot;
import io.userspaceproxy.core.model.ServicePortName;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The routes the data plane serves, one {@link RouteSlot} per listener key. The control plane applies changes to it
 * and each changed route is published by one volatile write into its slot; event loops never look anything up in
 * this table on the hot path: a listener holds its slot and reads it once per accepted connection or new UDP flow.
 *
 * <p>{@link #apply(RouteChanges)} costs what the change names: a key not named keeps its slot and its
 * {@link LiveRoute} instance. A route handed over as the instance already served (the control plane keeps unchanged
 * routes as the same objects) or as an equal one changes nothing; a route whose endpoints changed keeps its balancer's
 * rotation (and affinity memory) through {@link LoadBalancer#withEndpoints}.
 *
 * <p>Threading: {@link #apply} is for one control-plane thread at a time. {@link #lookup}, {@link #slot},
 * {@link #routes()} and {@link #size()} may be called from any thread.
 */
public final class RouteTable {

    private final BalancerFactory factory;
    private final ProxyCounters counters;
    private final Map<ListenerKey, RouteSlot> slots = new ConcurrentHashMap<>();
    /** The keys of each service port in the table; written by {@link #apply} only. */
    private final Map<ServicePortName, Set<ListenerKey>> keysByServicePort = new HashMap<>();

    private RouteTable(BalancerFactory factory, ProxyCounters counters) {
        this.factory = factory;
        this.counters = counters;
    }

    /**
     * An empty table.
     *
     * @param factory  makes balancers for routes that are new or whose balancing changed
     * @param counters where each service port's counters live
     */
    public static RouteTable create(BalancerFactory factory, ProxyCounters counters) {
        return new RouteTable(Objects.requireNonNull(factory, "factory"), Objects.requireNonNull(counters, "counters"));
    }

    /** The slot of {@code key}, or {@code null} when the key is not in the table. */
    public @Nullable RouteSlot slot(ListenerKey key) {
        return slots.get(key);
    }

    /** The route served on {@code key}, or {@code null} when the key is not in the table. Not for the hot path. */
    public @Nullable LiveRoute lookup(ListenerKey key) {
        RouteSlot slot = slots.get(key);
        return slot == null ? null : slot.get();
    }

    /** A copy of every route served now; linear in the table, for diagnostics and tests. */
    public Map<ListenerKey, LiveRoute> routes() {
        Map<ListenerKey, LiveRoute> out = new HashMap<>();
        slots.forEach((key, slot) -> out.put(key, slot.get()));
        return out;
    }

    /** The keys in the table now; a live, unmodifiable view. */
    public Set<ListenerKey> keys() {
        return Collections.unmodifiableSet(slots.keySet());
    }

    public int size() {
        return slots.size();
    }

    /** Every route served now for {@code servicePort} (one per listener key of it). Control plane only. */
    public List<Route> routesOf(ServicePortName servicePort) {
        Set<ListenerKey> keys = keysByServicePort.getOrDefault(servicePort, Set.of());
        List<Route> out = new ArrayList<>(keys.size());
        for (ListenerKey key : keys) {
            LiveRoute live = lookup(key);
            if (live != null) { // always, for an indexed key
                out.add(live.route());
            }
        }
        return out;
    }

    /** Whether any key of {@code servicePort} is in the table. Control plane only. */
    public boolean hasServicePort(ServicePortName servicePort) {
        return keysByServicePort.containsKey(servicePort);
    }

    /** Makes the table serve exactly {@code snapshot}: linear in both, for a full resync. */
    public TableDiff apply(RouteSnapshot snapshot) {
        return apply(RouteChanges.between(slots.keySet(), snapshot));
    }

    /** Publishes every upserted route into its slot (a new slot for a new key) and empties the removed keys' slots. */
    public TableDiff apply(RouteChanges changes) {
        Set<ListenerKey> added = new HashSet<>();
        Set<ListenerKey> changed = new HashSet<>();
        Set<ServicePortName> servicePorts = new HashSet<>();
        for (Map.Entry<ListenerKey, Route> e : changes.upserted().entrySet()) {
            ListenerKey key = e.getKey();
            Route route = e.getValue();
            RouteSlot slot = slots.get(key);
            if (slot == null) {
                slots.put(key, new RouteSlot(build(route, null)));
                index(key, route.servicePort());
                added.add(key);
                servicePorts.add(route.servicePort());
                continue;
            }
            LiveRoute old = Objects.requireNonNull(slot.get(), "a slot in the table serves a route");
            LiveRoute next = reuseOrBuild(route, old);
            if (next != old) {
                slot.set(next);
                changed.add(key);
                servicePorts.add(route.servicePort());
                servicePorts.add(old.route().servicePort());
                if (!old.route().servicePort().equals(route.servicePort())) {
                    unindex(key, old.route().servicePort());
                    index(key, route.servicePort());
                }
            }
        }
        Set<ListenerKey> removed = remove(changes.removed(), servicePorts);
        int unchanged = slots.size() - added.size() - changed.size();
        return new TableDiff(added, removed, changed, unchanged, servicePorts);
    }

    /** Empties the slots of {@code keys} and drops them; returns the keys that were in the table. */
    private Set<ListenerKey> remove(Collection<ListenerKey> keys, Set<ServicePortName> servicePorts) {
        Set<ListenerKey> removed = new HashSet<>();
        for (ListenerKey key : keys) {
            RouteSlot slot = slots.remove(key);
            if (slot != null) {
                ServicePortName servicePort = Objects.requireNonNull(slot.get(), "a slot in the table serves a route")
                        .route().servicePort();
                slot.set(null);
                unindex(key, servicePort);
                removed.add(key);
                servicePorts.add(servicePort);
            }
        }
        return removed;
    }

    private void index(ListenerKey key, ServicePortName servicePort) {
        keysByServicePort.computeIfAbsent(servicePort, s -> new HashSet<>(4)).add(key);
    }

    private void unindex(ListenerKey key, ServicePortName servicePort) {
        Set<ListenerKey> keys = keysByServicePort.get(servicePort);
        if (keys != null && keys.remove(key) && keys.isEmpty()) {
            keysByServicePort.remove(servicePort);
        }
    }

    private LiveRoute reuseOrBuild(Route route, LiveRoute old) {
        // Identity first: the control plane hands unchanged routes over as the same objects, and a record's equals
        // would otherwise compare every endpoint of the route.
        if (old.route() == route || old.route().equals(route)) {
            return old;
        }
        return build(route, old);
    }

    private LiveRoute build(Route route, @Nullable LiveRoute old) {
        LoadBalancer balancer;
        if (old != null && sameBalancing(old.route(), route)) {
            balancer = old.balancer().withEndpoints(route.endpoints());
        } else {
            balancer = factory.create(route);
        }
        return new LiveRoute(route, balancer, counters.forServicePort(route.servicePort()));
    }

    private static boolean sameBalancing(Route a, Route b) {
        return a.servicePort().equals(b.servicePort()) && a.affinity().equals(b.affinity())
                && a.outlierDetection().equals(b.outlierDetection()) && a.algorithm() == b.algorithm();
    }
}
