package io.userspaceproxy.core.balance;

import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Route;
import java.util.Objects;

/** Makes the balancer for a route whose balancing options changed (or that is new). Called at sync time only. */
@FunctionalInterface
public interface BalancerFactory {

    /** Round-robin for every route, whatever its affinity says. */
    BalancerFactory ROUND_ROBIN = route -> LoadBalancer.roundRobin(route.endpoints());

    LoadBalancer create(Route route);

    /**
     * The proxy's factory: the route's algorithm for routes without session affinity, ClientIP affinity (memory in
     * {@code affinities}, hits counted on the service port's counters) for routes that ask for it, each without the
     * endpoints its outlier detection has ejected (records in {@code outliers}). Keep {@code affinities} and
     * {@code outliers} in line with each published table through their {@code retain}.
     */
    static BalancerFactory of(AffinityTable affinities, OutlierTable outliers, ProxyCounters counters) {
        Objects.requireNonNull(affinities, "affinities");
        Objects.requireNonNull(outliers, "outliers");
        Objects.requireNonNull(counters, "counters");
        return route -> {
            ServicePortCounters portCounters = counters.forServicePort(route.servicePort());
            LoadBalancer balancer = route.affinity().isClientIp()
                    ? LoadBalancer.clientIpAffinity(route, affinities, portCounters)
                    : switch (route.algorithm()) {
                        case ROUND_ROBIN -> LoadBalancer.roundRobin(route.endpoints());
                        case LEAST_CONNECTIONS -> LoadBalancer.leastConnections(route.endpoints());
                        case MAGLEV -> LoadBalancer.maglev(route.endpoints());
                    };
            if (!route.outlierDetection().enabled() && !route.healthCheck().enabled()) {
                return balancer;
            }
            return new OutlierAwareBalancer(balancer, outliers.forServicePort(route.servicePort()),
                    route.outlierDetection(), portCounters);
        };
    }
}
