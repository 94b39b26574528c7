package io.userspaceproxy.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.agent.testing.ManifestAgent;
import io.userspaceproxy.agent.testing.Manifests;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPorts;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The agent in-process on loopback: real traffic through it moves the metrics a scrape returns. */
@Timeout(60)
class AgentMetricsIT {

    @TempDir
    Path tmp;

    @Test
    void metrics_realTrafficWithARefusingEndpoint_countsConnectionsBytesFailuresAndKubeProxyNames() throws Exception {
        InetSocketAddress vip = TcpPorts.freeAddress("127.0.50.1");
        Endpoint refusing = TcpPorts.refusingEndpoint();
        try (TcpEchoServer echo = new TcpEchoServer("echo")) {
            Files.writeString(tmp.resolve("svc.yaml"),
                    Manifests.serviceWithEndpoints("test", "metered", vip, echo.endpoint(), refusing));

            try (ProxyAgent agent = ManifestAgent.start(tmp)) {
                byte[] payload = new byte[1000];
                Arrays.fill(payload, (byte) 'x');
                for (int i = 0; i < 4; i++) {
                    try (Socket s = new Socket()) {
                        s.connect(vip, 5000);
                        s.setSoTimeout(5000);
                        s.getOutputStream().write(payload);
                        s.shutdownOutput();
                        InputStream in = s.getInputStream();
                        assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII))
                                .isEqualTo("echo\n" + "x".repeat(1000));
                    }
                }

                String metrics = get(agent.metricsAddress().orElseThrow(), "/metrics");
                String port = "service_port=\"test/metered:tcp\"";
                assertThat(value(metrics, "userspace_proxy_connections_total{", port)).isEqualTo(4);
                assertThat(value(metrics, "userspace_proxy_bytes_total{", port, "direction=\"to_backend\""))
                        .isEqualTo(4000);
                assertThat(value(metrics, "userspace_proxy_bytes_total{", port, "direction=\"to_frontend\""))
                        .isEqualTo(4 * 1005);
                // Round-robin alternates, so two of the four connections first tried the refusing endpoint.
                assertThat(value(metrics, "userspace_proxy_connect_failures_total{", port)).isEqualTo(2);
                assertThat(value(metrics, "userspace_proxy_connect_retries_total{", port)).isEqualTo(2);
                assertThat(metrics).contains("kubeproxy_sync_proxy_rules_duration_seconds_count",
                        "kubeproxy_sync_proxy_rules_last_timestamp_seconds",
                        "kubeproxy_network_programming_duration_seconds",
                        "kubeproxy_sync_proxy_rules_endpoint_changes_total",
                        "kubeproxy_sync_proxy_rules_service_changes_total");
                assertThat(value(metrics, "kubeproxy_sync_proxy_rules_service_changes_total")).isEqualTo(1);
                assertThat(value(metrics, "kubeproxy_sync_proxy_rules_endpoint_changes_total")).isEqualTo(2);
                assertThat(get(agent.healthAddress().orElseThrow(), "/healthz")).contains("\"lastUpdated\"");
                assertThat(get(agent.metricsAddress().orElseThrow(), "/proxyMode")).isEqualTo("userspace");
            }
        }
    }

    /** The sum of the samples whose line starts with {@code prefix} and contains every {@code part}. */
    private static double value(String metrics, String prefix, String... parts) {
        return metrics.lines()
                .filter(l -> l.startsWith(prefix) || l.startsWith(prefix + " "))
                .filter(l -> Arrays.stream(parts).allMatch(l::contains))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    private static String get(InetSocketAddress address, String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + address.getPort() + path)).build(), HttpResponse.BodyHandlers.ofString());
        return r.body();
    }
}
