package io.userspaceproxy.core.balance;

import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.model.Route;
import java.util.Objects;

/** Makes the balancer for a route whose balancing options changed (or that is new). Called at sync time only. */
@FunctionalInterface
public interface BalancerFactory {

    /** Round-robin for every route, whatever its affinity says. */
    BalancerFactory ROUND_ROBIN = route -> LoadBalancer.roundRobin(route.endpoints());

    LoadBalancer create(Route route);

    /**
     * The proxy's factory: round-robin for routes without session affinity, ClientIP affinity (memory in
     * {@code affinities}, hits counted on the service port's counters) for routes that ask for it. Keep
     * {@code affinities} in line with each published table through {@link AffinityTable#retain}.
     */
    static BalancerFactory of(AffinityTable affinities, ProxyCounters counters) {
        Objects.requireNonNull(affinities, "affinities");
        Objects.requireNonNull(counters, "counters");
        return route -> route.affinity().isClientIp()
                ? LoadBalancer.clientIpAffinity(route, affinities, counters.forServicePort(route.servicePort()))
                : LoadBalancer.roundRobin(route.endpoints());
    }
}
