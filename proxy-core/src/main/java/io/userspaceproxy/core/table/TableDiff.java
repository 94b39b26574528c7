package io.userspaceproxy.core.table;

import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.ServicePortName;
import java.util.Set;

/**
 * What one {@link RouteTable#apply} changed, seen from the sockets: which listeners must be bound, which closed, and
 * which keep their socket but serve a changed route (new endpoints or options: swapped in place, never rebound).
 *
 * @param added        keys new to the table
 * @param removed      keys that left it
 * @param routeChanged keys that stayed and now serve another route
 * @param unchanged    how many keys kept their route
 * @param servicePorts the service ports of every added, removed or changed key, before and after: the only ones
 *                     whose flows, affinity memory and counters need a look
 */
public record TableDiff(Set<ListenerKey> added, Set<ListenerKey> removed, Set<ListenerKey> routeChanged, int unchanged,
        Set<ServicePortName> servicePorts) {

    public TableDiff {
        added = Set.copyOf(added);
        removed = Set.copyOf(removed);
        routeChanged = Set.copyOf(routeChanged);
        servicePorts = Set.copyOf(servicePorts);
    }

    public boolean isEmpty() {
        return added.isEmpty() && removed.isEmpty() && routeChanged.isEmpty();
    }
}
