package io.userspaceproxy.agent.sync;

import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.ProxySnapshot;
import io.userspaceproxy.core.model.Route;
import java.util.ArrayList;
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

    private final Map<ListenerKey, List<Route>> claims = new LinkedHashMap<>();
    private int conflicts;

    void claim(ListenerKey key, Route route) {
        claims.computeIfAbsent(key, k -> new ArrayList<>(1)).add(route);
    }

    /** Resolves conflicts and adds one problem per contested listener to {@code problems}. */
    Map<ListenerKey, Route> resolve(ProxySnapshot previous, List<String> problems) {
        Map<ListenerKey, Route> routes = new LinkedHashMap<>(claims.size() * 4 / 3 + 1);
        for (Map.Entry<ListenerKey, List<Route>> e : claims.entrySet()) {
            List<Route> wanted = e.getValue();
            Route winner = wanted.get(0);
            boolean incumbent = false;
            Route held = previous.routes().get(e.getKey());
            if (wanted.size() > 1 && held != null) {
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
