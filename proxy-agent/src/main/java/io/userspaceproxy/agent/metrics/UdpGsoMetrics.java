package io.userspaceproxy.agent.metrics;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.function.LongSupplier;

/**
 * {@code userspace_proxy_udp_gso_datagrams_total}: UDP datagrams the relay sent in runs, one generic segmentation
 * offload message per run of equal-sized datagrams of one flow and direction (epoll, Linux 4.18+). Its share of
 * {@code userspace_proxy_udp_datagrams_total} says how much of the UDP load gets the cheaper path: bursty flows do,
 * one-datagram exchanges such as DNS do not. {@code userspace_proxy_udp_gso_refused_total}: runs the kernel refused
 * (a device on the route without checksum offload, IPsec, an MTU below 1,280); their datagrams were sent one by
 * one, and that flow's direction makes no more runs. Read on scrape from the relay's two adders.
 */
public final class UdpGsoMetrics {

    public static final String DATAGRAMS = "userspace_proxy_udp_gso_datagrams_total";
    public static final String REFUSED = "userspace_proxy_udp_gso_refused_total";

    private UdpGsoMetrics() {
    }

    /** @param datagrams e.g. {@code flows::segmentedDatagrams}; @param refused e.g. {@code flows::refusedRuns} */
    public static void register(PrometheusRegistry registry, LongSupplier datagrams, LongSupplier refused) {
        CounterWithCallback.builder()
                .name(DATAGRAMS)
                .help("UDP datagrams sent in runs, one GSO message per run")
                .callback(cb -> cb.call(datagrams.getAsLong()))
                .register(registry);
        CounterWithCallback.builder()
                .name(REFUSED)
                .help("UDP GSO runs the kernel refused, sent again one datagram at a time")
                .callback(cb -> cb.call(refused.getAsLong()))
                .register(registry);
    }
}
