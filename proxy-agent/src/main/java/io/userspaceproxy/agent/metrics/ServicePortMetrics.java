package io.userspaceproxy.agent.metrics;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.userspaceproxy.core.metrics.CloseReason;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.ServicePortName;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

/**
 * The data plane's per-service-port counters as Prometheus families, declared in one table and read from
 * {@link ProxyCounters} on scrape: the hot path keeps incrementing its bound {@code LongAdder}s and never sees
 * Prometheus. Every series carries {@code service_port} ({@code namespace/name:port}) and {@code protocol}; some
 * add one more label. By default ({@link ServicePortSeries#ACTIVE}) only service ports that have seen traffic have
 * series, and a counter appears once it is not zero: at 10,000 idle Services a scrape holds none of them. {@code connections_*} families are emitted for TCP ports only and {@code udp_*} for UDP
 * ports only, so a port shows no zeros for the protocol it does not speak.
 */
final class ServicePortMetrics {

    static final String SERVICE_PORT = "service_port";
    static final String PROTOCOL = "protocol";

    /** One value of a family: the extra label's value (or null when the family has none) and how to read it. */
    record Series(@Nullable String labelValue, ToLongFunction<ServicePortCounters> read) {
    }

    /** One metric family; {@code protocol} null means both protocols. */
    record Family(String name, String help, boolean gauge, @Nullable Protocol protocol, @Nullable String label,
            List<Series> series) {
    }

    static final List<Family> FAMILIES = List.of(
            counter("userspace_proxy_connections_total", "TCP connections accepted and relayed to a backend",
                    Protocol.TCP, ServicePortCounters::connectionsOpened),
            gauge("userspace_proxy_connections_active", "TCP connections open now",
                    Protocol.TCP, ServicePortCounters::connectionsActive),
            new Family("userspace_proxy_connections_closed_total",
                    "TCP connections ended, by reason; refused ones count in userspace_proxy_rejections_total instead",
                    false, Protocol.TCP, "reason", closeSeries()),
            new Family("userspace_proxy_bytes_total", "Payload bytes relayed, by direction", false, null, "direction",
                    List.of(new Series("to_backend", ServicePortCounters::bytesToBackend),
                            new Series("to_frontend", ServicePortCounters::bytesToFrontend))),
            counter("userspace_proxy_connect_failures_total", "Connection attempts to a backend that failed",
                    null, ServicePortCounters::connectFailures),
            counter("userspace_proxy_connect_retries_total", "Connection attempts retried on the next backend",
                    null, ServicePortCounters::connectRetries),
            counter("userspace_proxy_spliced_connections_total",
                    "TCP connections whose payload moved to splice(2) after a bulk read",
                    Protocol.TCP, ServicePortCounters::splicedConnections),
            new Family("userspace_proxy_rejections_total", "Clients refused before relaying, by reason", false, null,
                    "reason", List.of(new Series("no_endpoints", ServicePortCounters::noEndpointRejections),
                            new Series("source_range", ServicePortCounters::sourceRangeRejections),
                            new Series("memory", c -> c.closes(CloseReason.MEMORY_REJECTED)),
                            new Series("proxy_protocol", c -> c.closes(CloseReason.PROXY_PROTOCOL_REJECTED)))),
            new Family("userspace_proxy_flow_control_paused_total",
                    "Times reading one side of a TCP connection paused because the other side's queue was full", false,
                    Protocol.TCP, "side", List.of(new Series("frontend", c -> c.flowControl(true, true)),
                            new Series("backend", c -> c.flowControl(false, true)))),
            new Family("userspace_proxy_flow_control_resumed_total",
                    "Times reading one side of a TCP connection resumed once the other side's queue drained", false,
                    Protocol.TCP, "side", List.of(new Series("frontend", c -> c.flowControl(true, false)),
                            new Series("backend", c -> c.flowControl(false, false)))),
            counter("userspace_proxy_outlier_ejections_total",
                    "Endpoints left out of picks after failing their connects in a row (passive outlier detection)",
                    Protocol.TCP, ServicePortCounters::outlierEjections),
            counter("userspace_proxy_health_check_failures_total",
                    "Active health check connects that failed (userspace-proxy.io/health-check)",
                    Protocol.TCP, ServicePortCounters::healthCheckFailures),
            counter("userspace_proxy_endpoints_marked_unhealthy_total",
                    "Endpoints the active health check took out of picks", Protocol.TCP,
                    ServicePortCounters::markedUnhealthy),
            gauge("userspace_proxy_held_connections",
                    "TCP connections and new UDP clients held now while the service port has no endpoint"
                            + " (hold-when-empty)",
                    null, ServicePortCounters::held),
            counter("userspace_proxy_hold_demand_total",
                    "TCP connections and new UDP clients ever held for want of an endpoint: the demand to scale up"
                            + " from zero",
                    null, ServicePortCounters::holdDemand),
            counter("userspace_proxy_affinity_hits_total", "New connections or flows sent to the client's affine backend",
                    null, ServicePortCounters::affinityHits),
            counter("userspace_proxy_udp_flows_total", "UDP flows (client address to backend) opened",
                    Protocol.UDP, ServicePortCounters::udpFlowsOpened),
            gauge("userspace_proxy_udp_flows_active", "UDP flows open now",
                    Protocol.UDP, ServicePortCounters::udpFlowsActive),
            counter("userspace_proxy_udp_flows_rejected_total", "UDP flows refused (flow limit or no endpoints)",
                    Protocol.UDP, ServicePortCounters::udpFlowsRejected),
            new Family("userspace_proxy_udp_datagrams_total", "UDP datagrams relayed, by direction", false,
                    Protocol.UDP, "direction",
                    List.of(new Series("to_backend", ServicePortCounters::udpDatagramsToBackend),
                            new Series("to_frontend", ServicePortCounters::udpDatagramsToFrontend))),
            counter("userspace_proxy_udp_datagrams_dropped_total", "UDP datagrams dropped",
                    Protocol.UDP, ServicePortCounters::udpDatagramsDropped));

    private ServicePortMetrics() {
    }

    /**
     * Registers every family of {@link #FAMILIES}, reading {@code counters} on each scrape for the service ports
     * {@code which} names.
     */
    static void register(PrometheusRegistry registry, ProxyCounters counters, ServicePortSeries which) {
        if (which == ServicePortSeries.NONE) {
            return;
        }
        for (Family family : FAMILIES) {
            List<String> labels = new ArrayList<>(List.of(SERVICE_PORT, PROTOCOL));
            if (family.label() != null) {
                labels.add(family.label());
            }
            if (family.gauge()) {
                GaugeWithCallback.builder().name(family.name()).help(family.help()).labelNames(labels.toArray(String[]::new))
                        .callback(cb -> emit(counters, family, which, cb::call)).register(registry);
            } else {
                CounterWithCallback.builder().name(family.name()).help(family.help()).labelNames(labels.toArray(String[]::new))
                        .callback(cb -> emit(counters, family, which, cb::call)).register(registry);
            }
        }
    }

    /** Receives one series value and its label values, in label-name order. */
    interface Sink {
        void call(double value, String... labelValues);
    }

    private static void emit(ProxyCounters counters, Family family, ServicePortSeries which, Sink sink) {
        boolean all = which == ServicePortSeries.ALL;
        for (Map.Entry<ServicePortName, ServicePortCounters> e : counters.servicePorts().entrySet()) {
            ServicePortName port = e.getKey();
            if (family.protocol() != null && family.protocol() != port.protocol()
                    || !all && !hasSeenTraffic(e.getValue())) {
                continue;
            }
            String name = port.toString();
            String protocol = port.protocol().name();
            for (Series s : family.series()) {
                long value = s.read().applyAsLong(e.getValue());
                if (value == 0 && !all && !family.gauge()) {
                    continue; // a counter that never moved: absent until it does, then never goes back
                }
                if (s.labelValue() == null) {
                    sink.call(value, name, protocol);
                } else {
                    sink.call(value, name, protocol, s.labelValue());
                }
            }
        }
    }

    /**
     * Whether anything ever happened on {@code c}'s service port: every TCP connection is either held, opened or closed
     * with a reason (refusals included), every new UDP client either opens a flow or is refused or dropped, and
     * bytes only move on one of those. Reads
     * uncontended adders and stops at the first that moved, so an idle port costs a dozen reads per family.
     */
    static boolean hasSeenTraffic(ServicePortCounters c) {
        if (c.connectionsOpened() != 0 || c.bytesToBackend() != 0 || c.udpFlowsOpened() != 0
                || c.udpFlowsRejected() != 0 || c.udpDatagramsDropped() != 0 || c.connectFailures() != 0
                || c.holdDemand() != 0) {
            return true;
        }
        for (CloseReason reason : CloseReason.values()) {
            if (c.closes(reason) != 0) {
                return true;
            }
        }
        return false;
    }

    private static List<Series> closeSeries() {
        List<Series> series = new ArrayList<>();
        for (CloseReason reason : CloseReason.values()) {
            if (!reason.isRejection()) { // those are rejections_total's: each refusal is counted once
                series.add(new Series(reason.name().toLowerCase(Locale.ROOT), c -> c.closes(reason)));
            }
        }
        return List.copyOf(series);
    }

    private static Family counter(String name, String help, @Nullable Protocol protocol,
            ToLongFunction<ServicePortCounters> read) {
        return new Family(name, help, false, protocol, null, List.of(new Series(null, read)));
    }

    private static Family gauge(String name, String help, @Nullable Protocol protocol,
            ToLongFunction<ServicePortCounters> read) {
        return new Family(name, help, true, protocol, null, List.of(new Series(null, read)));
    }
}
