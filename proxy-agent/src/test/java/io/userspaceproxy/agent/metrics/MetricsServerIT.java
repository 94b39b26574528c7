package io.userspaceproxy.agent.metrics;

import static io.userspaceproxy.agent.http.HttpGet.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.userspaceproxy.agent.health.SyncHealth;
import io.userspaceproxy.agent.http.HttpBindException;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.IpAddresses;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.ServicePortName;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class MetricsServerIT {

    private static final InetSocketAddress ANY_PORT = new InetSocketAddress("127.0.0.1", 0);
    private static final ServicePortName WEB = new ServicePortName("shop", "web", "http", Protocol.TCP);

    private final ProxyCounters counters = new ProxyCounters();
    private final ProxyMetricsExporter exporter = ProxyMetricsExporter.create(counters,
            SyncHealth.create(Duration.ofSeconds(30), Clock.systemUTC()));
    private MetricsServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void metrics_prometheusText_kubeProxyNamesAndLiveCounters() throws Exception {
        server = MetricsServer.builder(ANY_PORT, exporter.registry()).start();
        ServicePortCounters web = counters.forServicePort(WEB);
        exporter.onSync(Duration.ofMillis(12), Instant.now(), true);

        HttpResponse<String> before = get(server.address(), "/metrics");
        web.onConnectionOpened();
        web.onBytesToBackend(1500);
        HttpResponse<String> after = get(server.address(), "/metrics");

        assertThat(before.statusCode()).isEqualTo(200);
        assertThat(before.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/plain; version=0.0.4"));
        assertThat(before.body()).contains("kubeproxy_sync_proxy_rules_duration_seconds_count 1",
                "kubeproxy_sync_proxy_rules_last_timestamp_seconds ",
                "kubeproxy_network_programming_duration_seconds_count 0",
                "kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy=\"internal\"} 0.0",
                "kubeproxy_proxy_healthz_total{code=\"200\"} 0.0");
        assertThat(before.body()).as("an idle service port has no series").doesNotContain("shop/web:http");
        assertThat(after.body()).contains(
                "userspace_proxy_connections_total{protocol=\"TCP\",service_port=\"shop/web:http\"} 1.0",
                "userspace_proxy_connections_active{protocol=\"TCP\",service_port=\"shop/web:http\"} 1.0",
                "userspace_proxy_bytes_total{direction=\"to_backend\",protocol=\"TCP\",service_port=\"shop/web:http\"} 1500.0");
    }

    @Test
    void metrics_acceptOpenMetrics_answersOpenMetrics() throws Exception {
        server = MetricsServer.builder(ANY_PORT, exporter.registry()).start();
        counters.forServicePort(WEB).onConnectionOpened();

        HttpResponse<String> response = get(server.address(), "/metrics",
                "application/openmetrics-text; version=1.0.0; charset=utf-8");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/openmetrics-text"));
        assertThat(response.body()).contains("# TYPE userspace_proxy_connections counter",
                "userspace_proxy_connections_total{protocol=\"TCP\",service_port=\"shop/web:http\"} 1.0")
                .endsWith("# EOF\n");
    }

    @Test
    void metrics_gzipAskedFor_gzippedAndNameFilterApplied() throws Exception {
        server = MetricsServer.builder(ANY_PORT, exporter.registry()).start();
        counters.forServicePort(WEB).onConnectionOpened();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + IpAddresses.format(server.address())
                        + "/metrics?name[]=userspace_proxy_connections_total"))
                .header("Accept-Encoding", "gzip").build();

        HttpResponse<byte[]> response = HttpClient.newHttpClient().send(request, BodyHandlers.ofByteArray());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Encoding")).contains("gzip");
        String body;
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(response.body()))) {
            body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(body).contains("userspace_proxy_connections_total{protocol=\"TCP\",service_port=\"shop/web:http\"} 1.0")
                .doesNotContain("userspace_proxy_bytes_total");
    }

    @Test
    void proxyModeAndPing_answerUserspaceAndOk() throws Exception {
        server = MetricsServer.builder(ANY_PORT, exporter.registry()).start();

        HttpResponse<String> mode = get(server.address(), "/proxyMode");

        assertThat(mode.statusCode()).isEqualTo(200);
        assertThat(mode.body()).isEqualTo("userspace");
        assertThat(get(server.address(), "/healthz").body()).isEqualTo("ok");
    }

    @Test
    void configzAndConnections_servedFromSuppliersAtEachRequest() throws Exception {
        AtomicInteger connections = new AtomicInteger();
        server = MetricsServer.builder(ANY_PORT, exporter.registry())
                .configz(() -> "{\"mode\":\"userspace\",\"syncPeriod\":\"30s\"}")
                .connections(() -> "{\"active\":" + connections.get() + "}")
                .start();

        HttpResponse<String> configz = get(server.address(), "/configz");
        assertThat(configz.statusCode()).isEqualTo(200);
        assertThat(configz.headers().firstValue("Content-Type")).contains("application/json");
        assertThat(configz.body()).isEqualTo("{\"mode\":\"userspace\",\"syncPeriod\":\"30s\"}");
        assertThat(get(server.address(), "/connections").body()).isEqualTo("{\"active\":0}");
        connections.set(7);
        assertThat(get(server.address(), "/connections").body()).isEqualTo("{\"active\":7}");
    }

    @Test
    void connections_queryParameters_decodedForTheViewAndRejectionsAnswer400() throws Exception {
        server = MetricsServer.builder(ANY_PORT, exporter.registry())
                .connections(query -> {
                    if (query.containsKey("bad")) {
                        throw new IllegalArgumentException("bad: " + query.get("bad") + " (expected: nothing)");
                    }
                    return "{\"limit\": \"" + query.get("limit") + "\"}";
                })
                .start();

        HttpResponse<String> firstWins = get(server.address(), "/connections?limit=5&limit=6");
        HttpResponse<String> rejected = get(server.address(), "/connections?bad=a%20b");

        assertThat(firstWins.statusCode()).isEqualTo(200);
        assertThat(firstWins.body()).isEqualTo("{\"limit\": \"5\"}");
        assertThat(rejected.statusCode()).isEqualTo(400);
        assertThat(rejected.body()).isEqualTo("bad: a b (expected: nothing)\n");
        assertThat(get(server.address(), "/connections").body()).isEqualTo("{\"limit\": \"null\"}");
    }

    @Test
    void configz_notProvided_404() throws Exception {
        server = MetricsServer.builder(ANY_PORT, exporter.registry()).start();

        assertThat(get(server.address(), "/configz").statusCode()).isEqualTo(404);
        assertThat(get(server.address(), "/connections").statusCode()).isEqualTo(404);
    }

    @Test
    void configz_supplierThrows_500AndServerKeepsServing() throws Exception {
        server = MetricsServer.builder(ANY_PORT, exporter.registry())
                .configz(() -> {
                    throw new IllegalStateException("not configured yet");
                }).start();

        assertThat(get(server.address(), "/configz").statusCode()).isEqualTo(500);
        assertThat(get(server.address(), "/proxyMode").statusCode()).isEqualTo(200);
    }

    @Test
    void start_portTaken_failsNamingTheAddress() throws Exception {
        server = MetricsServer.builder(ANY_PORT, exporter.registry()).start();
        InetSocketAddress taken = server.address();

        assertThatThrownBy(() -> MetricsServer.builder(taken, exporter.registry()).start())
                .isInstanceOf(HttpBindException.class)
                .hasMessageStartingWith("metrics server: cannot listen on 127.0.0.1:" + taken.getPort() + ": ");
    }
}
