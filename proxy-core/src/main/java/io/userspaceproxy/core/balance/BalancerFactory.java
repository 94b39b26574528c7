package io.userspaceproxy.core.balance;

import io.userspaceproxy.core.model.Route;

/** Makes the balancer for a route whose balancing options changed (or that is new). Called at sync time only. */
@FunctionalInterface
public interface BalancerFactory {

    /** Round-robin for every route, whatever its affinity says. */
    BalancerFactory ROUND_ROBIN = route -> LoadBalancer.roundRobin(route.endpoints());

    LoadBalancer create(Route route);
}
