package io.userspaceproxy.agent;

import static io.userspaceproxy.agent.testing.ClusterObjects.NODE;
import static io.userspaceproxy.agent.testing.ClusterObjects.ready;
import static io.userspaceproxy.agent.testing.ClusterObjects.service;
import static io.userspaceproxy.agent.testing.ClusterObjects.sliceOf;
import static io.userspaceproxy.agent.testing.MetricsText.value;
import static io.userspaceproxy.agent.testing.Traffic.awaitAnswer;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.userspaceproxy.agent.testing.ClusterAgent;
import io.userspaceproxy.agent.testing.MetricsText;
import io.userspaceproxy.core.model.IpAddresses;
import io.userspaceproxy.core.testing.Closer;
import io.userspaceproxy.core.testing.TcpEchoServer;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * kube-proxy's full and partial sync histograms, driven through the mock API server: the first sync is full, an
 * endpoint-only change afterwards is partial, and the overall histogram counts both.
 */
@EnableKubernetesMockClient(crud = true, https = false)
@Timeout(90)
class SyncMetricsIT {

    private static final String NS = "shop";
    private static final String FULL = "kubeproxy_sync_full_proxy_rules_duration_seconds_count";
    private static final String PARTIAL = "kubeproxy_sync_partial_proxy_rules_duration_seconds_count";
    private static final String ALL = "kubeproxy_sync_proxy_rules_duration_seconds_count";

    KubernetesClient client;

    private final Closer closer = new Closer();
    private final TcpEchoServer a = closer.add(new TcpEchoServer("a"));
    private final TcpEchoServer b = closer.add(new TcpEchoServer("b"));
    private ProxyAgent agent;

    @AfterEach
    void tearDown() throws Exception {
        closer.close();
    }

    @Test
    void endpointOnlyChange_isPartialSync_firstSyncIsFull() throws Exception {
        agent = closer.add(ClusterAgent.start(client.getMasterUrl().toString(), "--metrics-bind-address",
                "127.0.0.1:0"));
        InetSocketAddress vip = new InetSocketAddress(IpAddresses.parse("127.0.36.1"), 8080);
        client.services().inNamespace(NS).resource(service(NS, "web", "127.0.36.1", 8080).build()).create();
        create(sliceOf(NS, "web-1", "web", a.address().getPort(), ready("127.0.0.1", NODE)));
        awaitAnswer(vip, "a");
        String before = metrics();
        assertThat(value(before, FULL)).as("the first sync is full").isGreaterThanOrEqualTo(1);

        create(sliceOf(NS, "web-1", "web", b.address().getPort(), ready("127.0.0.1", NODE)));
        awaitAnswer(vip, "b");

        String after = metrics();
        assertThat(value(after, FULL)).as("an endpoint-only change is no full sync").isEqualTo(value(before, FULL));
        assertThat(value(after, PARTIAL)).isGreaterThan(value(before, PARTIAL));
        assertThat(value(after, ALL)).isEqualTo(value(after, FULL) + value(after, PARTIAL));
        assertThat(after).contains("kubeproxy_sync_partial_proxy_rules_duration_seconds_bucket{le=\"16.384\"}",
                "kubeproxy_sync_full_proxy_rules_duration_seconds_bucket{le=\"0.001\"}");
    }

    private String metrics() throws Exception {
        return MetricsText.get(agent.metricsAddress().orElseThrow(), "/metrics");
    }

    private void create(EndpointSlice s) {
        client.discovery().v1().endpointSlices().inNamespace(NS).resource(s).createOr(r -> r.update());
    }
}
