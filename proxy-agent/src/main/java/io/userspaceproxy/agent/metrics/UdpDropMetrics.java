package io.userspaceproxy.agent.metrics;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.userspaceproxy.core.model.ListenerKey;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code userspace_proxy_udp_receive_buffer_drops_total{listener}}: datagrams the kernel dropped at a UDP listener
 * because its receive buffer was full (a burst that outran the event loop; raise {@code --udp-receive-buffer}).
 * Read from {@code /proc} on scrape; a series exists only for listeners that dropped something, so idle Services
 * cost nothing, and a listener's count starts at zero when it is bound.
 */
public final class UdpDropMetrics {

    public static final String NAME = "userspace_proxy_udp_receive_buffer_drops_total";

    private UdpDropMetrics() {
    }

    /** @param drops the drops per UDP listener now, e.g. {@code listeners.udpFlows()::receiveDrops} */
    public static void register(PrometheusRegistry registry, Supplier<Map<ListenerKey, Long>> drops) {
        CounterWithCallback.builder()
                .name(NAME)
                .help("Datagrams the kernel dropped at a UDP listener whose receive buffer was full")
                .labelNames("listener")
                .callback(cb -> drops.get().forEach((key, n) -> cb.call(n, key.toString())))
                .register(registry);
    }
}
