package io.userspaceproxy.core.table;

import io.userspaceproxy.core.model.ListenerKey;
import java.util.Set;

/**
 * What changed between two tables, seen from the sockets: which listeners must be bound, which closed, and which
 * keep their socket but serve a changed route (new endpoints or options: swapped in place, never rebound).
 */
public record TableDiff(Set<ListenerKey> added, Set<ListenerKey> removed, Set<ListenerKey> routeChanged, int unchanged) {

    public TableDiff {
        added = Set.copyOf(added);
        removed = Set.copyOf(removed);
        routeChanged = Set.copyOf(routeChanged);
    }

    public boolean isEmpty() {
        return added.isEmpty() && removed.isEmpty() && routeChanged.isEmpty();
    }
}
