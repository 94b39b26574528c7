package io.userspaceproxy.agent.sync;

import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.ProxySnapshot;
import io.userspaceproxy.core.model.Route;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every route that wants a listener, in claim order, and the choice of one per listener. Two service ports can
 * want the same listener when Services share a NodePort, or one Service's external IP is another's ClusterIP.
 * The route that already held the listener in the previous snapshot keeps it, so a newcomer never steals a
 * port from live traffic; otherwise the first claim wins, which is the Service that sorts first because the
 * builder walks Services in name order. Not thread-safe; one instance per build.
 */
final class ListenerClaims {

    /** The first claim of every listener, in claim order. */
    private final Map<ListenerKey, Route> first = new LinkedHashMap<>();
    /** Every claim of a contested listener, the first included; rare, so kept apart from the common case. */
    private final Map<ListenerKey, List<Route>> contested = new HashMap<>();
    private int conflicts;

    void claim(ListenerKey key, Route route) {
        Route earlier = first.putIfAbsent(key, route);
        if (earlier != null) {
            contested.computeIfAbsent(key, k -> new ArrayList<>(List.of(earlier))).add(route);
        }
    }

    /** Resolves conflicts and adds one problem per contested listener to {@code problems}. */
    Map<ListenerKey, Route> resolve(ProxySnapshot previous, List<String> problems) {
        if (contested.isEmpty()) {
            return first;
        }
        Map<ListenerKey, Route> routes = new LinkedHashMap<>(first.size() * 4 / 3 + 1);
        for (Map.Entry<ListenerKey, Route> e : first.entrySet()) {
            List<Route> wanted = contested.getOrDefault(e.getKey(), List.of(e.getValue()));
            Route winner = wanted.get(0);
            boolean incumbent = false;
            Route held = wanted.size() > 1 ? previous.routes().get(e.getKey()) : null;
            if (held != null) {
                for (Route r : wanted) {
                    if (r.servicePort().equals(held.servicePort())) {
                        winner = r;
                        incumbent = true;
                        break;
                    }
                }
            }
            routes.put(e.getKey(), winner);
            if (wanted.size() > 1) {
                problems.add(describe(e.getKey(), winner, wanted, incumbent));
                conflicts += wanted.size() - 1;
            }
        }
        return routes;
    }

    int conflicts() {
        return conflicts;
    }

    private static String describe(ListenerKey key, Route winner, List<Route> wanted, boolean incumbent) {
        StringBuilder losers = new StringBuilder();
        for (Route r : wanted) {
            if (r != winner) {
                losers.append(losers.length() == 0 ? "" : ", ")
                        .append(r.servicePort()).append(" (").append(r.frontend()).append(')');
            }
        }
        return "listener " + key + " is wanted by more than one service port: serving " + winner.servicePort()
                + " (" + winner.frontend() + (incumbent ? ", which already held it" : ", first by name")
                + "), ignoring " + losers;
    }
}
