package io.userspaceproxy.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.userspaceproxy.agent.health.Probe;
import io.userspaceproxy.agent.health.SyncHealth;
import io.userspaceproxy.core.metrics.CloseReason;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.ServicePortName;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ProxyMetricsExporterTest {

    private static final ServicePortName WEB = new ServicePortName("shop", "web", "http", Protocol.TCP);
    private static final ServicePortName DNS = new ServicePortName("kube-system", "kube-dns", "dns", Protocol.UDP);
    private static final String WEB_LABELS = "protocol=\"TCP\",service_port=\"shop/web:http\"";
    private static final String DNS_LABELS = "protocol=\"UDP\",service_port=\"kube-system/kube-dns:dns\"";

    private final ProxyCounters counters = new ProxyCounters();
    private final SyncHealth health = SyncHealth.create(Duration.ofSeconds(30),
            Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC));
    private ProxyMetricsExporter exporter = ProxyMetricsExporter.create(counters, health);

    @Test
    void scrape_fresh_hasKubeProxyFamilies() throws IOException {
        String text = scrape();

        assertThat(text).contains(
                "# TYPE kubeproxy_sync_proxy_rules_duration_seconds histogram",
                "# TYPE kubeproxy_sync_proxy_rules_last_timestamp_seconds gauge",
                "# TYPE kubeproxy_network_programming_duration_seconds histogram",
                "kubeproxy_sync_proxy_rules_service_changes_total 0.0",
                "kubeproxy_sync_proxy_rules_endpoint_changes_total 0.0",
                "kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy=\"internal\"} 0.0",
                "kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy=\"external\"} 0.0",
                "kubeproxy_proxy_healthz_total{code=\"200\"} 0.0",
                "kubeproxy_proxy_livez_total{code=\"503\"} 0.0",
                "userspace_proxy_listener_bind_failures_total 0.0",
                "userspace_proxy_listener_conflicts_total 0.0");
    }

    @Test
    void onSync_observesDurationInKubeProxyBucketsAndSetsTimestamp() throws IOException {
        exporter.onSync(Duration.ofMillis(3), Instant.parse("2025-01-01T00:00:10.5Z"), true);
        exporter.onSyncFailed(Duration.ofMillis(20), false);

        String text = scrape();

        assertThat(text).contains(
                "kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"0.002\"} 0",
                "kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"0.004\"} 1",
                "kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"0.032\"} 2",
                "kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"16.384\"} 2",
                "kubeproxy_sync_proxy_rules_duration_seconds_count 2",
                "kubeproxy_sync_full_proxy_rules_duration_seconds_bucket{le=\"0.004\"} 1",
                "kubeproxy_sync_full_proxy_rules_duration_seconds_bucket{le=\"16.384\"} 1",
                "kubeproxy_sync_full_proxy_rules_duration_seconds_count 1",
                "kubeproxy_sync_partial_proxy_rules_duration_seconds_bucket{le=\"0.016\"} 0",
                "kubeproxy_sync_partial_proxy_rules_duration_seconds_bucket{le=\"0.032\"} 1",
                "kubeproxy_sync_partial_proxy_rules_duration_seconds_count 1",
                "kubeproxy_sync_proxy_rules_last_timestamp_seconds 1.7356896105E9",
                "userspace_proxy_sync_failures_total 1.0");
    }

    @Test
    void onNetworkProgrammingLatency_negativeSkewIgnored() throws IOException {
        exporter.onNetworkProgrammingLatency(Duration.ofMillis(700));
        exporter.onNetworkProgrammingLatency(Duration.ofSeconds(-3));

        String text = scrape();

        assertThat(text).contains(
                "kubeproxy_network_programming_duration_seconds_bucket{le=\"0.5\"} 0",
                "kubeproxy_network_programming_duration_seconds_bucket{le=\"1.0\"} 1",
                "kubeproxy_network_programming_duration_seconds_bucket{le=\"300.0\"} 1",
                "kubeproxy_network_programming_duration_seconds_count 1");
    }

    @Test
    void changesAndGauges_reflectTheLastCalls() throws IOException {
        exporter.onServiceChanges(2);
        exporter.onEndpointChanges(5);
        exporter.onEndpointChanges(1);
        exporter.setPendingChanges(3, 4);
        exporter.setNoLocalEndpoints(1, 2);
        exporter.onSyncQueued(Instant.parse("2025-01-01T00:00:01Z"));
        exporter.onInvalidObject("EndpointSlice");
        exporter.onObjectWarning("Service");

        assertThat(scrape()).contains(
                "kubeproxy_sync_proxy_rules_service_changes_total 2.0",
                "kubeproxy_sync_proxy_rules_endpoint_changes_total 6.0",
                "kubeproxy_sync_proxy_rules_service_changes_pending 3.0",
                "kubeproxy_sync_proxy_rules_endpoint_changes_pending 4.0",
                "kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy=\"internal\"} 1.0",
                "kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy=\"external\"} 2.0",
                "kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds 1.735689601E9",
                "userspace_proxy_invalid_objects_total{kind=\"EndpointSlice\"} 1.0",
                "userspace_proxy_object_warnings_total{kind=\"Service\"} 1.0");
        assertThatThrownBy(() -> exporter.onInvalidObject(""))
                .hasMessage("kind: \"\" (expected: a kind such as Service)");
    }

    @Test
    void scrape_tcpServicePortCounters_readAtScrapeTime() throws IOException {
        ServicePortCounters web = counters.forServicePort(WEB);
        web.onConnectionOpened();
        web.onConnectionOpened();
        web.onConnectionClosed(CloseReason.IDLE_TIMEOUT);
        web.onBytesToBackend(100);
        web.onBytesToFrontend(2048);
        web.onConnectFailure();
        web.onConnectRetry();
        web.onRejected(CloseReason.NO_ENDPOINTS);
        web.onRejected(CloseReason.SOURCE_RANGE_REJECTED);
        web.onAffinityHit();
        web.onFlowControl(true, true);
        web.onFlowControl(true, false);

        String text = scrape();

        assertThat(text).contains(
                "userspace_proxy_connections_total{" + WEB_LABELS + "} 2.0",
                "userspace_proxy_connections_active{" + WEB_LABELS + "} 1.0",
                "userspace_proxy_connections_closed_total{protocol=\"TCP\",reason=\"idle_timeout\",service_port=\"shop/web:http\"} 1.0",
                "userspace_proxy_bytes_total{direction=\"to_backend\"," + WEB_LABELS + "} 100.0",
                "userspace_proxy_bytes_total{direction=\"to_frontend\"," + WEB_LABELS + "} 2048.0",
                "userspace_proxy_connect_failures_total{" + WEB_LABELS + "} 1.0",
                "userspace_proxy_connect_retries_total{" + WEB_LABELS + "} 1.0",
                "userspace_proxy_rejections_total{protocol=\"TCP\",reason=\"no_endpoints\",service_port=\"shop/web:http\"} 1.0",
                "userspace_proxy_rejections_total{protocol=\"TCP\",reason=\"source_range\",service_port=\"shop/web:http\"} 1.0",
                "userspace_proxy_affinity_hits_total{" + WEB_LABELS + "} 1.0",
                "userspace_proxy_flow_control_paused_total{" + WEB_LABELS + ",side=\"frontend\"} 1.0",
                "userspace_proxy_flow_control_resumed_total{" + WEB_LABELS + ",side=\"frontend\"} 1.0");
        assertThat(text).as("a refusal is counted once, as a rejection")
                .doesNotContain("userspace_proxy_connections_closed_total{protocol=\"TCP\",reason=\"no_endpoints\"")
                .doesNotContain("reason=\"source_range_rejected\"");
        assertThat(text).doesNotContain("userspace_proxy_udp_flows_total{" + WEB_LABELS);
        assertThat(text).as("a counter that never moved is left out")
                .doesNotContain("reason=\"completed\",service_port=\"shop/web:http\"");

        web.onConnectionClosed(CloseReason.COMPLETED);
        assertThat(scrape()).contains("userspace_proxy_connections_active{" + WEB_LABELS + "} 0.0",
                "userspace_proxy_connections_closed_total{protocol=\"TCP\",reason=\"completed\",service_port=\"shop/web:http\"} 1.0");
    }

    @Test
    void scrape_udpServicePortCounters_udpFamiliesOnly() throws IOException {
        ServicePortCounters dns = counters.forServicePort(DNS);
        dns.onUdpFlowOpened();
        dns.onUdpFlowOpened();
        dns.onUdpFlowClosed();
        dns.onUdpFlowRejected();
        dns.onUdpDatagramToBackend(40);
        dns.onUdpDatagramToFrontend(120);
        dns.onUdpDatagramToFrontend(80);
        dns.onUdpDatagramDropped();

        String text = scrape();

        assertThat(text).contains(
                "userspace_proxy_udp_flows_total{" + DNS_LABELS + "} 2.0",
                "userspace_proxy_udp_flows_active{" + DNS_LABELS + "} 1.0",
                "userspace_proxy_udp_flows_rejected_total{" + DNS_LABELS + "} 1.0",
                "userspace_proxy_udp_datagrams_total{direction=\"to_backend\"," + DNS_LABELS + "} 1.0",
                "userspace_proxy_udp_datagrams_total{direction=\"to_frontend\"," + DNS_LABELS + "} 2.0",
                "userspace_proxy_udp_datagrams_dropped_total{" + DNS_LABELS + "} 1.0",
                "userspace_proxy_bytes_total{direction=\"to_frontend\"," + DNS_LABELS + "} 200.0");
        assertThat(text).doesNotContain("userspace_proxy_connections_total{" + DNS_LABELS);
    }

    @Test
    void scrape_servicePortRetired_seriesDisappear() throws IOException {
        counters.forServicePort(WEB).onBytesToBackend(1);
        assertThat(scrape()).contains("service_port=\"shop/web:http\"");

        counters.retain(Set.of());

        assertThat(scrape()).doesNotContain("service_port=\"shop/web:http\"");
    }

    @Test
    void scrape_listenerAndProbeCounters_readFromTheirSources() throws IOException {
        counters.onBindFailure();
        counters.onListenerConflict();
        counters.onListenerConflict();
        counters.onHandoverFailure();
        health.probe(Probe.HEALTHZ);
        health.setNodeEligible(false);
        health.probe(Probe.HEALTHZ);
        health.probe(Probe.LIVEZ);

        assertThat(scrape()).contains(
                "userspace_proxy_listener_bind_failures_total 1.0",
                "userspace_proxy_listener_conflicts_total 2.0",
                "userspace_proxy_handover_failures_total 1.0",
                "kubeproxy_proxy_healthz_total{code=\"200\"} 1.0",
                "kubeproxy_proxy_healthz_total{code=\"503\"} 1.0",
                "kubeproxy_proxy_livez_total{code=\"200\"} 1.0");
    }

    @Test
    void scrape_servicePortSeriesAll_writesIdlePortsAndZeros() throws IOException {
        exporter = ProxyMetricsExporter.create(counters, health, ServicePortSeries.ALL);
        counters.forServicePort(WEB);

        assertThat(scrape()).contains("userspace_proxy_connections_total{" + WEB_LABELS + "} 0.0",
                "userspace_proxy_connections_closed_total{protocol=\"TCP\",reason=\"completed\",service_port=\"shop/web:http\"} 0.0");
    }

    @Test
    void scrape_servicePortSeriesNone_writesNoServicePortEvenWithTraffic() throws IOException {
        exporter = ProxyMetricsExporter.create(counters, health, ServicePortSeries.NONE);
        counters.forServicePort(WEB).onConnectionOpened();

        assertThat(scrape()).doesNotContain("service_port=").contains("kubeproxy_sync_proxy_rules_duration_seconds");
    }

    @Test
    void scrape_activeByDefault_idlePortHasNoSeriesUntilItsFirstConnection() throws IOException {
        ServicePortCounters web = counters.forServicePort(WEB);
        assertThat(scrape()).doesNotContain("shop/web:http");

        web.onConnectionOpened();
        web.onConnectionClosed(CloseReason.COMPLETED);

        assertThat(scrape()).contains("userspace_proxy_connections_total{" + WEB_LABELS + "} 1.0",
                "userspace_proxy_connections_active{" + WEB_LABELS + "} 0.0");
    }

    private String scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, exporter.registry().scrape(), EscapingScheme.DEFAULT);
        return out.toString(StandardCharsets.UTF_8);
    }
}
