package io.userspaceproxy.agent.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.userspaceproxy.agent.health.Probe;
import io.userspaceproxy.agent.health.SyncHealth;
import io.userspaceproxy.core.metrics.ProxyCounters;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Every metric the agent exports, in its own {@link PrometheusRegistry}: kube-proxy's sync and health metrics
 * under kube-proxy's names and meanings, so existing dashboards and alerts work, and the data plane's counters
 * under {@code userspace_proxy_*}, read from {@link ProxyCounters} on scrape.
 *
 * <p>Threading: every method is safe from any thread and cheap (a histogram observation or an add), but none is
 * meant for the data plane's hot path: the data plane counts through its bound {@code ServicePortCounters}.
 */
public final class ProxyMetricsExporter {

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Histogram syncDuration;
    private final Histogram fullSyncDuration;
    private final Histogram partialSyncDuration;
    private final Gauge syncLastTimestamp;
    private final Gauge syncLastQueuedTimestamp;
    private final Counter syncFailures;
    private final Histogram networkProgramming;
    private final Counter serviceChanges;
    private final Counter endpointChanges;
    private final Gauge serviceChangesPending;
    private final Gauge endpointChangesPending;
    private final Gauge noLocalEndpoints;
    private final Counter invalidObjects;
    private final Counter objectWarnings;
    private final Counter serviceAddressFailures;
    private final Counter healthCheckBindFailures;
    private final Counter eventFailures;

    private ProxyMetricsExporter(ProxyCounters counters, SyncHealth health, ServicePortSeries servicePorts) {
        syncDuration = histogram("kubeproxy_sync_proxy_rules_duration_seconds", "SyncProxyRules latency in seconds",
                KubeProxyBuckets.SYNC);
        fullSyncDuration = histogram("kubeproxy_sync_full_proxy_rules_duration_seconds",
                "SyncProxyRules latency in seconds for full resyncs", KubeProxyBuckets.SYNC);
        partialSyncDuration = histogram("kubeproxy_sync_partial_proxy_rules_duration_seconds",
                "SyncProxyRules latency in seconds for partial resyncs", KubeProxyBuckets.SYNC);
        syncLastTimestamp = gauge("kubeproxy_sync_proxy_rules_last_timestamp_seconds",
                "The last time proxy rules were successfully synced");
        syncLastQueuedTimestamp = gauge("kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds",
                "The last time a sync of proxy rules was queued");
        networkProgramming = histogram("kubeproxy_network_programming_duration_seconds",
                "In Cluster Network Programming Latency in seconds", KubeProxyBuckets.PROGRAMMING);
        serviceChanges = counter("kubeproxy_sync_proxy_rules_service_changes_total",
                "Cumulative proxy rules Service changes");
        endpointChanges = counter("kubeproxy_sync_proxy_rules_endpoint_changes_total",
                "Cumulative proxy rules Endpoint changes");
        serviceChangesPending = gauge("kubeproxy_sync_proxy_rules_service_changes_pending",
                "Pending proxy rules Service changes");
        endpointChangesPending = gauge("kubeproxy_sync_proxy_rules_endpoint_changes_pending",
                "Pending proxy rules Endpoint changes");
        noLocalEndpoints = gauge("kubeproxy_sync_proxy_rules_no_local_endpoints_total",
                "Number of services with a Local traffic policy and no endpoints", "traffic_policy");
        syncFailures = counter("userspace_proxy_sync_failures_total", "Syncs that failed and will be retried");
        invalidObjects = counter("userspace_proxy_invalid_objects_total",
                "Services, EndpointSlices or manifests rejected as invalid, by kind", "kind");
        objectWarnings = counter("userspace_proxy_object_warnings_total", "Services, EndpointSlices or manifests"
                + " served with something in them ignored (an unknown annotation value, an SCTP port), by kind",
                "kind");
        serviceAddressFailures = counter("userspace_proxy_service_address_failures_total",
                "Syncs that could not add or remove Service addresses on the VIP interface");
        healthCheckBindFailures = counter("userspace_proxy_healthcheck_bind_failures_total",
                "healthCheckNodePort listeners that could not be opened (port in use)");
        eventFailures = counter("userspace_proxy_event_failures_total",
                "Kubernetes Events (NeedPods) the API server did not take");
        registerProbes(health);
        registerListeners(counters);
        ServicePortMetrics.register(registry, counters, servicePorts);
        setNoLocalEndpoints(0, 0);
    }

    private Histogram histogram(String name, String help, double[] upperBounds) {
        return Histogram.builder().name(name).help(help).classicOnly().classicUpperBounds(upperBounds)
                .register(registry);
    }

    private Counter counter(String name, String help, String... labelNames) {
        return Counter.builder().name(name).help(help).labelNames(labelNames).register(registry);
    }

    private Gauge gauge(String name, String help, String... labelNames) {
        return Gauge.builder().name(name).help(help).labelNames(labelNames).register(registry);
    }

    /** An exporter reading the data plane's {@code counters} and the probe counts of {@code health} on scrape. */
    public static ProxyMetricsExporter create(ProxyCounters counters, SyncHealth health) {
        return create(counters, health, ServicePortSeries.ACTIVE);
    }

    /** @param servicePorts which service ports get per-service-port series ({@code --metrics-service-ports}) */
    public static ProxyMetricsExporter create(ProxyCounters counters, SyncHealth health,
            ServicePortSeries servicePorts) {
        return new ProxyMetricsExporter(Objects.requireNonNull(counters, "counters"),
                Objects.requireNonNull(health, "health"), Objects.requireNonNull(servicePorts, "servicePorts"));
    }

    /**
     * Registers KEP-6032's {@code kubeproxy_localhost_nodeport_listeners{ip_family}}: the NodePort listeners bound
     * on loopback addresses, per family, read on scrape. kube-proxy counts its TCP-only localhost proxies; this
     * agent's localhost NodePorts serve UDP too, and both count.
     */
    public void registerLocalhostNodePorts(LongSupplier ipv4, LongSupplier ipv6) {
        GaugeWithCallback.builder().name("kubeproxy_localhost_nodeport_listeners")
                .help("Number of NodePort listeners on loopback addresses").labelNames("ip_family")
                .callback(cb -> {
                    cb.call(ipv4.getAsLong(), "IPv4");
                    cb.call(ipv6.getAsLong(), "IPv6");
                }).register(registry);
    }

    /** The registry to serve; {@link MetricsServer} takes it. */
    public PrometheusRegistry registry() {
        return registry;
    }

    /**
     * A sync succeeded after {@code took}, finishing at {@code at}: observes the duration, in the full or the partial
     * histogram too (see {@code Proxier#sync}), and sets the last timestamp.
     */
    public void onSync(Duration took, Instant at, boolean full) {
        observeSync(took, full);
        syncLastTimestamp.set(epochSeconds(at));
    }

    /** A sync failed after {@code took}: the duration is observed (as kube-proxy does) and the failure counted. */
    public void onSyncFailed(Duration took, boolean full) {
        observeSync(took, full);
        syncFailures.inc();
    }

    private void observeSync(Duration took, boolean full) {
        double s = seconds(took);
        syncDuration.observe(s);
        (full ? fullSyncDuration : partialSyncDuration).observe(s);
    }

    /** A sync was requested at {@code at} (a change arrived, or the periodic resync came due). */
    public void onSyncQueued(Instant at) {
        syncLastQueuedTimestamp.set(epochSeconds(at));
    }

    /**
     * From a change's trigger time (the EndpointSlice's {@code endpoints.kubernetes.io/last-change-trigger-time})
     * to the sync that applied it. Negative values, which only clock skew between node and control plane can
     * produce, are ignored rather than recorded as zero.
     */
    public void onNetworkProgrammingLatency(Duration latency) {
        if (!latency.isNegative()) {
            networkProgramming.observe(seconds(latency));
        }
    }

    /** {@code n} Service changes were received (each add, update or delete counts one). */
    public void onServiceChanges(long n) {
        serviceChanges.inc(n);
    }

    /** {@code n} EndpointSlice changes were received. */
    public void onEndpointChanges(long n) {
        endpointChanges.inc(n);
    }

    /** Changes received and not yet synced, per kind; set after each checkout and as changes arrive. */
    public void setPendingChanges(long services, long endpointSlices) {
        serviceChangesPending.set(services);
        endpointChangesPending.set(endpointSlices);
    }

    /**
     * Services whose internal (resp. external) traffic policy is Local and that have no endpoint on this node,
     * recounted at each sync.
     */
    public void setNoLocalEndpoints(long internal, long external) {
        noLocalEndpoints.labelValues("internal").set(internal);
        noLocalEndpoints.labelValues("external").set(external);
    }

    /**
     * An object was rejected as invalid. {@code kind} is a Kubernetes kind ({@code "Service"}) or {@code "manifest"}
     * for an unreadable file: keep it to a fixed set, since every distinct value is a new series.
     */
    public void onInvalidObject(String kind) {
        onInvalidObjects(kind, 1);
    }

    /** {@code n} objects of {@code kind} were rejected as invalid; see {@link #onInvalidObject(String)}. */
    public void onInvalidObjects(String kind, long n) {
        requireKind(kind);
        if (n > 0) {
            invalidObjects.labelValues(kind).inc(n);
        }
    }

    /** An object was served with something in it ignored (logged at WARN); {@code kind} as for the above. */
    public void onObjectWarning(String kind) {
        requireKind(kind);
        objectWarnings.labelValues(kind).inc();
    }

    private static void requireKind(String kind) {
        if (kind == null || kind.isEmpty()) {
            throw new IllegalArgumentException("kind: \"" + kind + "\" (expected: a kind such as Service)");
        }
    }

    /** A sync could not make its Service addresses local ({@code ip} failed); it is retried. */
    public void onServiceAddressFailure() {
        serviceAddressFailures.inc();
    }

    /** A Service's healthCheckNodePort could not be opened; it is retried at the next sync. */
    public void onHealthCheckBindFailure() {
        healthCheckBindFailures.inc();
    }

    /** The API server did not take an Event this agent reported (see {@code NeedPodsEvents}). */
    public void onEventFailure() {
        eventFailures.inc();
    }

    private void registerProbes(SyncHealth health) {
        for (Probe probe : Probe.values()) {
            String name = "kubeproxy_proxy_" + probe.name().toLowerCase(Locale.ROOT) + "_total";
            CounterWithCallback.builder().name(name)
                    .help("Cumulative proxy " + probe.name().toLowerCase(Locale.ROOT) + " HTTP status")
                    .labelNames("code")
                    .callback(cb -> {
                        cb.call(health.probes(probe, 200), "200");
                        cb.call(health.probes(probe, 503), "503");
                    }).register(registry);
        }
    }

    private void registerListeners(ProxyCounters counters) {
        CounterWithCallback.builder().name("userspace_proxy_listener_bind_failures_total")
                .help("Listeners that could not bind their address")
                .callback(cb -> cb.call(counters.bindFailures())).register(registry);
        CounterWithCallback.builder().name("userspace_proxy_listener_accept_errors_total")
                .help("Accepts that failed on a TCP listener (out of descriptors, typically); it pauses for 1 s")
                .callback(cb -> cb.call(counters.acceptErrors())).register(registry);
        CounterWithCallback.builder().name("userspace_proxy_listener_conflicts_total")
                .help("Listeners refused because another service port claimed the same address and port")
                .callback(cb -> cb.call(counters.listenerConflicts())).register(registry);
        CounterWithCallback.builder().name("userspace_proxy_handover_failures_total")
                .help("Upgrade hand-overs of the listening sockets that did not complete (the agent bound beside its"
                        + " predecessor instead)")
                .callback(cb -> cb.call(counters.handoverFailures())).register(registry);
    }

    private static double seconds(Duration d) {
        return d.getSeconds() + d.getNano() / 1e9;
    }

    private static double epochSeconds(Instant at) {
        return at.getEpochSecond() + at.getNano() / 1e9;
    }
}
