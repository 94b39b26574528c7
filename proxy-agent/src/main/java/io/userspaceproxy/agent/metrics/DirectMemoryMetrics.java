package io.userspaceproxy.agent.metrics;

import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.userspaceproxy.core.relay.DirectMemoryGuard;

/**
 * {@code userspace_proxy_direct_memory_used_bytes} and {@code userspace_proxy_direct_memory_max_bytes}: the direct
 * memory the relay's buffers hold now and the limit it may reach ({@code -XX:MaxDirectMemorySize}), as the
 * {@link DirectMemoryGuard} that refuses new clients above its threshold reads them. Without these the JVM's own
 * figure is only visible over JMX, which the agent does not expose; with them an operator sees how close a node is to
 * refusing connections ({@code userspace_proxy_rejections_total{reason="memory"}}) and can size the limit.
 */
public final class DirectMemoryMetrics {

    public static final String USED = "userspace_proxy_direct_memory_used_bytes";
    public static final String MAX = "userspace_proxy_direct_memory_max_bytes";

    private DirectMemoryMetrics() {
    }

    /** Reads {@code guard} on every scrape; nothing is sampled in between. */
    public static void register(PrometheusRegistry registry, DirectMemoryGuard guard) {
        GaugeWithCallback.builder()
                .name(USED)
                .help("Direct (off-heap) memory the proxy's buffers hold now")
                .callback(cb -> cb.call(guard.usedBytes()))
                .register(registry);
        GaugeWithCallback.builder()
                .name(MAX)
                .help("Direct memory limit; new connections and flows are refused above 90 % of it")
                .callback(cb -> cb.call(guard.maxBytes()))
                .register(registry);
    }
}
