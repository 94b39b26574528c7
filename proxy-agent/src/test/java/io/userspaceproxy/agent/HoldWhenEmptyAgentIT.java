package io.userspaceproxy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.userspaceproxy.agent.testing.ManifestAgent;
import io.userspaceproxy.agent.testing.Manifests;
import io.userspaceproxy.agent.testing.MetricsText;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPorts;
import io.userspaceproxy.core.testing.TcpTestClient;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code userspace-proxy.io/hold-when-empty} through the local dev proxy: a Service defined with no endpoint holds
 * its client, the held connection shows on {@code /metrics}, and once the developer adds the EndpointSlice to the
 * manifest the client gets its whole exchange, bytes sent while held included.
 */
@Timeout(60)
class HoldWhenEmptyAgentIT {

    @TempDir
    Path tmp;

    @Test
    void serviceWithoutEndpoints_clientHeld_thenServedOnceTheSliceIsWritten() throws Exception {
        InetSocketAddress vip = TcpPorts.freeAddress("127.0.63.1");
        Path file = tmp.resolve("web.yaml");
        Map<String, String> hold = Map.of("userspace-proxy.io/hold-when-empty", "30s");
        Files.writeString(file, Manifests.service("dev", "web", vip, hold));
        try (ProxyAgent agent = ManifestAgent.start(tmp);
                TcpEchoServer pod = new TcpEchoServer("pod");
                TcpTestClient client = TcpTestClient.connect(vip)) {
            client.writeLine("sent while scaled to zero");
            await().atMost(Duration.ofSeconds(10)).until(() -> held(agent) == 1);

            Files.writeString(file, Manifests.service("dev", "web", vip, hold) + "---\n"
                    + Manifests.slices("dev", "web", pod.endpoint()));

            assertThat(client.readLine()).isEqualTo("pod");
            assertThat(client.readLine()).isEqualTo("sent while scaled to zero");
            assertThat(held(agent)).isZero();
            String metrics = MetricsText.get(agent.metricsAddress().orElseThrow(), "/metrics");
            assertThat(MetricsText.value(metrics, "userspace_proxy_hold_demand_total", "service_port=\"dev/web:"))
                    .isEqualTo(1.0);
        }
    }

    private static double held(ProxyAgent agent) throws Exception {
        String metrics = MetricsText.get(agent.metricsAddress().orElseThrow(), "/metrics");
        return MetricsText.value(metrics, "userspace_proxy_held_connections", "service_port=\"dev/web:");
    }
}
