package io.userspaceproxy.core.table;

import io.userspaceproxy.core.balance.LoadBalancer;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Route;
import java.util.Objects;

/**
 * A route as the data plane serves it: the immutable {@link Route}, its live balancer, and the counters bound to
 * its service port. What an accepted connection finds with one map lookup.
 */
public final class LiveRoute {

    private final Route route;
    private final LoadBalancer balancer;
    private final ServicePortCounters counters;

    public LiveRoute(Route route, LoadBalancer balancer, ServicePortCounters counters) {
        this.route = Objects.requireNonNull(route, "route");
        this.balancer = Objects.requireNonNull(balancer, "balancer");
        this.counters = Objects.requireNonNull(counters, "counters");
    }

    public Route route() {
        return route;
    }

    public LoadBalancer balancer() {
        return balancer;
    }

    public ServicePortCounters counters() {
        return counters;
    }

    @Override
    public String toString() {
        return route.servicePort() + " " + route.frontend() + " -> " + route.endpoints();
    }
}
