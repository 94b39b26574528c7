package io.userspaceproxy.agent.metrics;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.userspaceproxy.core.listen.EndpointView.EndpointState;
import io.userspaceproxy.core.model.IpAddresses;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Per-endpoint series, labelled {@code service_port} and {@code endpoint}: open connections, failed connects and
 * ejections. Only endpoints with something to report have series (an open connection, a failed connect, a health
 * verdict), so a node of idle Services exports none: bounded by endpoints, never by clients, and small at rest.
 */
public final class EndpointMetrics {

    private EndpointMetrics() {
    }

    /**
     * @param source the endpoints to export now, e.g. {@code () -> EndpointView.active(listeners)}; read once per
     *               scrape (the three families share one reading taken within the last second)
     */
    public static void register(PrometheusRegistry registry, Supplier<List<EndpointState>> source) {
        Supplier<List<EndpointState>> active = onceASecond(source);
        GaugeWithCallback.builder()
                .name("userspace_proxy_endpoint_connections_active")
                .help("TCP connections open now to the endpoint, on this node")
                .labelNames("service_port", "endpoint")
                .callback(cb -> active.get().forEach(s -> cb.call(s.openConnections(), labels(s))))
                .register(registry);
        CounterWithCallback.builder()
                .name("userspace_proxy_endpoint_connect_failures_total")
                .help("Failed connects to the endpoint")
                .labelNames("service_port", "endpoint")
                .callback(cb -> active.get().forEach(s -> cb.call(s.connectFailures(), labels(s))))
                .register(registry);
        CounterWithCallback.builder()
                .name("userspace_proxy_endpoint_ejections_total")
                .help("Times passive outlier detection left the endpoint out of picks")
                .labelNames("service_port", "endpoint")
                .callback(cb -> active.get().forEach(s -> cb.call(s.ejections(), labels(s))))
                .register(registry);
    }

    private record Reading(long nanos, List<EndpointState> states) {
    }

    /** {@code source}, read again only when the last reading is a second old: one pass over connections a scrape. */
    static Supplier<List<EndpointState>> onceASecond(Supplier<List<EndpointState>> source) {
        AtomicReference<Reading> last = new AtomicReference<>();
        return () -> {
            long now = System.nanoTime();
            Reading r = last.get();
            if (r == null || now - r.nanos() > TimeUnit.SECONDS.toNanos(1)) {
                r = new Reading(now, source.get());
                last.set(r);
            }
            return r.states();
        };
    }

    private static String[] labels(EndpointState s) {
        return new String[] {s.servicePort().toString(), IpAddresses.format(s.endpoint().address())};
    }
}
