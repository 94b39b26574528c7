package io.userspaceproxy.agent;

import static io.userspaceproxy.agent.testing.ClusterObjects.NODE;
import static io.userspaceproxy.agent.testing.ClusterObjects.ready;
import static io.userspaceproxy.agent.testing.ClusterObjects.service;
import static io.userspaceproxy.agent.testing.ClusterObjects.sliceOf;
import static io.userspaceproxy.agent.testing.Traffic.awaitAnswer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.userspaceproxy.agent.http.HttpGet;
import io.userspaceproxy.agent.testing.ClusterAgent;
import io.userspaceproxy.core.model.IpAddresses;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPorts;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The sync loop as seen from the API: bursts of changes collapse into few syncs, each EndpointSlice change's
 * network programming latency is recorded, and the healthCheckNodePort of an externalTrafficPolicy Local Service
 * answers from the endpoints on this node.
 */
@EnableKubernetesMockClient(crud = true, https = false)
@Timeout(90)
class ClusterSyncIT {

    private static final String NS = "shop";
    private static final String TRIGGER = "endpoints.kubernetes.io/last-change-trigger-time";

    KubernetesClient client;

    @AutoClose
    private final TcpEchoServer a = new TcpEchoServer("a");
    @AutoClose
    private final TcpEchoServer b = new TcpEchoServer("b");
    @AutoClose
    private ProxyAgent agent;

    @Test
    void burstOfChanges_minSyncPeriod_collapsesIntoFewSyncs() throws Exception {
        agent = ClusterAgent.start(client.getMasterUrl().toString(), "--min-sync-period", "500ms");
        InetSocketAddress vip = address("127.0.32.1", 8080);
        create(service(NS, "web", "127.0.32.1", 8080).build());
        create(sliceOf(NS, "web-1", "web", a.address().getPort(), ready("127.0.0.1", NODE)));
        awaitAnswer(vip, "a");
        long before = agent.syncs();

        long start = System.nanoTime();
        for (int i = 1; i < 20; i++) {
            create(sliceOf(NS, "web-1", "web", a.address().getPort(), ready("127.0.0.1", "node-" + i)));
        }
        create(sliceOf(NS, "web-1", "web", b.address().getPort(), ready("127.0.0.1", NODE)));
        long elapsedMillis = Duration.ofNanos(System.nanoTime() - start).toMillis();
        awaitAnswer(vip, "b");

        long syncs = agent.syncs() - before;
        assertThat(syncs).as("20 changes in %d ms with at most one sync per 500 ms", elapsedMillis)
                .isBetween(1L, 2 + elapsedMillis / 500);
    }

    @Test
    void sliceChange_triggerTime_networkProgrammingLatencyRecorded() throws Exception {
        agent = ClusterAgent.start(client.getMasterUrl().toString());
        InetSocketAddress vip = address("127.0.32.2", 8080);
        create(service(NS, "web", "127.0.32.2", 8080).build());
        create(triggered(sliceOf(NS, "web-1", "web", a.address().getPort(), ready("127.0.0.1", NODE)),
                Instant.now().minus(Duration.ofHours(1))));
        awaitAnswer(vip, "a");
        assertThat(programmingLatency().getCount()).as("a change triggered before the agent started is not timed")
                .isZero();

        Instant trigger = Instant.now();
        create(triggered(sliceOf(NS, "web-1", "web", b.address().getPort(), ready("127.0.0.1", NODE)), trigger));
        awaitAnswer(vip, "b");
        Duration bound = Duration.between(trigger, Instant.now());

        await().atMost(Duration.ofSeconds(10)).until(() -> programmingLatency().getCount() == 1);
        assertThat(programmingLatency().getSum()).isPositive().isLessThanOrEqualTo(bound.toNanos() / 1e9);
    }

    @Test
    void healthCheckNodePort_localEndpoints_answer200Then503() throws Exception {
        agent = ClusterAgent.start(client.getMasterUrl().toString());
        InetSocketAddress healthCheck = TcpPorts.freeAddress("127.0.0.1");
        create(service(NS, "web", "127.0.32.3", 8080).editSpec().withType("LoadBalancer")
                .withExternalTrafficPolicy("Local").withHealthCheckNodePort(healthCheck.getPort())
                .editFirstPort().withNodePort(TcpPorts.freeAddress("127.0.0.1").getPort()).endPort().endSpec()
                .build());
        create(sliceOf(NS, "web-1", "web", a.address().getPort(), ready("127.0.0.1", NODE)));

        HttpResponse<String> up = awaitStatus(healthCheck, 200);
        assertThat(up.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(up.body().replaceAll("\\s", "")).isEqualTo("{\"service\":{\"namespace\":\"shop\",\"name\":\"web\"},"
                + "\"localEndpoints\":1,\"serviceProxyHealthy\":true}");

        create(sliceOf(NS, "web-1", "web", a.address().getPort(), ready("127.0.0.1", "node-b")));
        HttpResponse<String> down = awaitStatus(healthCheck, 503);
        assertThat(down.body()).contains("\"localEndpoints\": 0");

        client.services().inNamespace(NS).withName("web").delete();
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            try {
                HttpGet.get(healthCheck, "/healthz");
                return false;
            } catch (IOException e) {
                return true;
            }
        });
    }

    private static HttpResponse<String> awaitStatus(InetSocketAddress server, int status) {
        return await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
                .until(() -> HttpGet.get(server, "/healthz"), r -> r.statusCode() == status);
    }

    private HistogramSnapshot.HistogramDataPointSnapshot programmingLatency() {
        HistogramSnapshot h = (HistogramSnapshot) agent.metrics().registry().scrape().stream()
                .filter(m -> m.getMetadata().getPrometheusName().equals("kubeproxy_network_programming_duration_seconds"))
                .findFirst().orElseThrow();
        return h.getDataPoints().get(0);
    }

    private static EndpointSlice triggered(EndpointSlice slice, Instant at) {
        slice.getMetadata().setAnnotations(Map.of(TRIGGER, at.toString()));
        return slice;
    }

    private void create(Service s) {
        client.services().inNamespace(NS).resource(s).createOr(r -> r.update());
    }

    private void create(EndpointSlice s) {
        client.discovery().v1().endpointSlices().inNamespace(NS).resource(s).createOr(r -> r.update());
    }

    private static InetSocketAddress address(String ip, int port) {
        return new InetSocketAddress(IpAddresses.parse(ip), port);
    }
}
