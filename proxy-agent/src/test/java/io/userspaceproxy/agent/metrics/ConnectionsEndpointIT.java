package io.userspaceproxy.agent.metrics;

import static io.userspaceproxy.agent.http.HttpGet.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.userspaceproxy.agent.health.SyncHealth;
import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.listen.EndpointView;
import io.userspaceproxy.core.listen.ListenerOptions;
import io.userspaceproxy.core.listen.ListenerSet;
import io.userspaceproxy.core.listen.Transport;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteSnapshot;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.relay.RelayOptions;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPorts;
import io.userspaceproxy.core.testing.TcpTestClient;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code /connections}, {@code /endpoints} and the per-endpoint metrics wired the way the agent wires them: a real
 * listener set relaying a real connection.
 */
@Timeout(30)
class ConnectionsEndpointIT {

    private static final ServicePortName ECHO = new ServicePortName("demo", "echo", "http", Protocol.TCP);
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final ProxyCounters counters = new ProxyCounters();
    private final ListenerSet listeners = new ListenerSet(
            new ListenerOptions(Transport.best(), 1, RelayOptions.DEFAULT, Duration.ofSeconds(5)),
            BalancerFactory.ROUND_ROBIN, counters);
    private final TcpEchoServer echo = new TcpEchoServer("a");
    private MetricsServer server;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        listeners.close();
        echo.close();
    }

    @Test
    void connections_liveConnectionShownThenForgotten() throws Exception {
        ListenerKey vip = ListenerKey.of(Protocol.TCP, TcpPorts.freeAddress("127.0.10.5"));
        listeners.apply(new RouteSnapshot(Map.of(vip,
                Route.of(ECHO, FrontendKind.CLUSTER_IP, List.of(echo.endpoint())))));
        server = MetricsServer.builder(new InetSocketAddress("127.0.0.1", 0),
                        ProxyMetricsExporter.create(counters, SyncHealth.create(WAIT, Clock.systemUTC())).registry())
                .connections(ConnectionsJson.of(listeners))
                .start();

        try (TcpTestClient client = TcpTestClient.connect(vip.address())) {
            assertThat(client.readLine()).isEqualTo("a");
            InetSocketAddress local = (InetSocketAddress) client.socket().getLocalSocketAddress();

            await().atMost(WAIT).untilAsserted(() -> assertThat(get(server.address(), "/connections").body())
                    .startsWith("{\"total\": 1, \"shown\": 1, \"connections\": [\n  {\"client\": \"127.0.0.1:"
                            + local.getPort() + "\", \"service\": \"demo/echo:http\", \"listener\": \"" + vip + "\", "
                            + "\"endpoint\": \"127.0.0.1:" + echo.address().getPort() + "\", \"connected\": true, ")
                    .contains("\"bytesToBackend\": 0, \"bytesToFrontend\": 2}"));
            assertThat(get(server.address(), "/connections?limit=0").body())
                    .isEqualTo("{\"total\": 1, \"shown\": 0, \"connections\": []}\n");
        }

        await().atMost(WAIT).untilAsserted(() -> assertThat(get(server.address(), "/connections").body())
                .isEqualTo("{\"total\": 0, \"shown\": 0, \"connections\": []}\n"));
        assertThat(get(server.address(), "/connections?limit=-1").statusCode()).isEqualTo(400);
    }

    @Test
    void endpoints_viewAndMetrics_showTheOpenConnection_andNothingOnceItEnds() throws Exception {
        ListenerKey vip = ListenerKey.of(Protocol.TCP, TcpPorts.freeAddress("127.0.10.6"));
        listeners.apply(new RouteSnapshot(Map.of(vip,
                Route.of(ECHO, FrontendKind.CLUSTER_IP, List.of(echo.endpoint())))));
        ProxyMetricsExporter exporter = ProxyMetricsExporter.create(counters,
                SyncHealth.create(WAIT, Clock.systemUTC()));
        EndpointMetrics.register(exporter.registry(), () -> EndpointView.active(listeners));
        server = MetricsServer.builder(new InetSocketAddress("127.0.0.1", 0), exporter.registry())
                .endpoints(EndpointsJson.of(listeners))
                .start();
        String endpoint = "127.0.0.1:" + echo.address().getPort();

        try (TcpTestClient client = TcpTestClient.connect(vip.address())) {
            assertThat(client.readLine()).isEqualTo("a");

            await().atMost(WAIT).untilAsserted(() -> assertThat(get(server.address(), "/metrics").body()).contains(
                    "userspace_proxy_endpoint_connections_active{endpoint=\"" + endpoint
                            + "\",service_port=\"demo/echo:http\"} 1"));
            assertThat(get(server.address(), "/endpoints?service=demo/echo").body()).contains(
                    "\"endpoint\": \"" + endpoint + "\", \"openConnections\": 1, \"connectFailures\": 0");
        }

        await().atMost(WAIT).untilAsserted(() -> assertThat(get(server.address(), "/metrics").body())
                .doesNotContain("userspace_proxy_endpoint_connections_active{"));
        assertThat(get(server.address(), "/endpoints?service=demo/echo").body()).contains("\"openConnections\": 0");
        assertThat(get(server.address(), "/endpoints").statusCode()).isEqualTo(400);
    }
}
