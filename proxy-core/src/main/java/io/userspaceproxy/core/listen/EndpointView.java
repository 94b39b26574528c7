package io.userspaceproxy.core.listen;

import io.userspaceproxy.core.balance.EndpointOutliers;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.table.LiveRoute;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Each endpoint as the data plane sees it: open connections on this node, failed connects, ejections, and whether
 * it is out of picks now (ejected or unhealthy). Read on the caller's thread without involving an event loop, from
 * the connection table (one pass) and the outlier records; never per client, so bounded by endpoints.
 */
public final class EndpointView {

    private EndpointView() {
    }

    /**
     * One endpoint of one service port.
     *
     * @param openConnections connected TCP connections to it now
     * @param ejectedForNanos how much longer its ejection lasts; 0 when it is not ejected
     */
    public record EndpointState(ServicePortName servicePort, Endpoint endpoint, int openConnections,
            long connectFailures, long ejections, long ejectedForNanos, boolean unhealthy) {
    }

    private static final Comparator<EndpointState> ORDER = Comparator
            .comparing((EndpointState s) -> s.servicePort().toString()).thenComparing(s -> s.endpoint().toString());

    /**
     * The endpoints with anything to report (an open connection, a failed connect, a health verdict): what the
     * per-endpoint metrics export, so that idle endpoints cost a scrape nothing.
     */
    public static List<EndpointState> active(ListenerSet listeners) {
        Map<ServicePortName, Map<Endpoint, Integer>> open = listeners.tcpConnections().openByEndpoint();
        Map<ServicePortName, Map<Endpoint, EndpointState>> out = new LinkedHashMap<>();
        open.forEach((servicePort, byEndpoint) -> byEndpoint.forEach((endpoint, n) -> out
                .computeIfAbsent(servicePort, s -> new LinkedHashMap<>())
                .put(endpoint, new EndpointState(servicePort, endpoint, n, 0, 0, 0, false))));
        listeners.outliers().forEach((servicePort, records) -> records.forEach((endpoint, state) -> out
                .computeIfAbsent(servicePort, s -> new LinkedHashMap<>())
                .put(endpoint, withRecord(servicePort, endpoint, open, state))));
        List<EndpointState> all = new ArrayList<>();
        out.values().forEach(m -> all.addAll(m.values()));
        all.sort(ORDER);
        return all;
    }

    /** Every endpoint of the service ports {@code which} accepts that are in the table now, idle ones included. */
    public static List<EndpointState> of(ListenerSet listeners, Predicate<ServicePortName> which) {
        Map<ServicePortName, Map<Endpoint, Integer>> open = listeners.tcpConnections().openByEndpoint();
        Map<ServicePortName, Map<Endpoint, EndpointState>> out = new LinkedHashMap<>();
        for (LiveRoute route : listeners.table().routes().values()) {
            ServicePortName servicePort = route.route().servicePort();
            if (which.test(servicePort)) {
                for (Endpoint endpoint : route.route().endpoints()) {
                    out.computeIfAbsent(servicePort, s -> new LinkedHashMap<>()).put(endpoint, new EndpointState(
                            servicePort, endpoint, count(open, servicePort, endpoint), 0, 0, 0, false));
                }
            }
        }
        listeners.outliers().forEach((servicePort, records) -> {
            Map<Endpoint, EndpointState> listed = out.get(servicePort);
            if (listed != null) {
                records.forEach((endpoint, state) -> listed.computeIfPresent(endpoint,
                        (e, s) -> withRecord(servicePort, endpoint, open, state)));
            }
        });
        List<EndpointState> all = new ArrayList<>();
        out.values().forEach(m -> all.addAll(m.values()));
        all.sort(ORDER);
        return all;
    }

    private static EndpointState withRecord(ServicePortName servicePort, Endpoint endpoint,
            Map<ServicePortName, Map<Endpoint, Integer>> open, EndpointOutliers.State state) {
        return new EndpointState(servicePort, endpoint, count(open, servicePort, endpoint), state.connectFailures(),
                state.ejections(), state.ejectedForNanos(), state.unhealthy());
    }

    private static int count(Map<ServicePortName, Map<Endpoint, Integer>> open, ServicePortName servicePort,
            Endpoint endpoint) {
        return open.getOrDefault(servicePort, Map.of()).getOrDefault(endpoint, 0);
    }
}
