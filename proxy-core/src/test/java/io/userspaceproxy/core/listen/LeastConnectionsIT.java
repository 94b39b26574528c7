package io.userspaceproxy.core.listen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.model.BalancingAlgorithm;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.RouteSnapshot;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.testing.Closer;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPorts;
import io.userspaceproxy.core.testing.TcpTestClient;
import io.userspaceproxy.core.testing.TransportLeakCheck;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Least connections with real connections on loopback: while one endpoint holds long connections (a slow one),
 * new short connections go to the other, where round-robin keeps sending it every second one; once those long
 * connections end, it gets its turn again. The counts carry over a sync that adds an endpoint.
 */
@ExtendWith(TransportLeakCheck.class)
@Timeout(60)
class LeastConnectionsIT {

    private static final ServicePortName WEB = new ServicePortName("default", "web", "http", Protocol.TCP);

    private final Closer resources = new Closer();
    private final ListenerSet proxy = new ListenerSet(ListenerOptions.defaults(), new ProxyCounters());

    @AfterEach
    void tearDown() throws Exception {
        proxy.close();
        resources.close();
    }

    private ListenerKey serve(String ip, BalancingAlgorithm algorithm, TcpEchoServer... endpoints) {
        ListenerKey key = ListenerKey.of(Protocol.TCP, TcpPorts.freeAddress(ip));
        proxy.apply(new RouteSnapshot(Map.of(key, Route.of(WEB, FrontendKind.CLUSTER_IP,
                List.of(endpoints[0].endpoint(), endpoints[1].endpoint())).withAlgorithm(algorithm))));
        return key;
    }

    private static String shortConnection(ListenerKey key) throws IOException {
        try (TcpTestClient c = TcpTestClient.connect(key.address())) {
            return c.readLine();
        }
    }

    private String answers(ListenerKey key, int n) throws IOException {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < n; i++) {
            out.append(shortConnection(key));
        }
        return out.toString();
    }

    @Test
    void slowEndpointHoldingConnections_newOnesGoToTheOther() throws Exception {
        TcpEchoServer a = resources.add(new TcpEchoServer("a"));
        TcpEchoServer b = resources.add(new TcpEchoServer("b"));
        ListenerKey key = ListenerKey.of(Protocol.TCP, TcpPorts.freeAddress("127.0.15.1"));
        Route onlyA = Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(a.endpoint()))
                .withAlgorithm(BalancingAlgorithm.LEAST_CONNECTIONS);
        proxy.apply(new RouteSnapshot(Map.of(key, onlyA)));
        List<TcpTestClient> slow = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            TcpTestClient c = resources.add(TcpTestClient.connect(key.address()));
            assertThat(c.readLine()).isEqualTo("a");
            slow.add(c);
        }

        proxy.apply(new RouteSnapshot(Map.of(key, onlyA.withEndpoints(List.of(a.endpoint(), b.endpoint())))));

        assertThat(answers(key, 10)).as("a holds three long connections").isEqualTo("b".repeat(10));
        for (TcpTestClient c : slow) {
            c.close();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> answers(key, 4).contains("a"));
    }

    @Test
    void roundRobin_sameLoad_keepsAlternating() throws Exception {
        TcpEchoServer a = resources.add(new TcpEchoServer("a"));
        TcpEchoServer b = resources.add(new TcpEchoServer("b"));
        ListenerKey key = serve("127.0.15.2", BalancingAlgorithm.ROUND_ROBIN, a, b);
        TcpTestClient longOne = resources.add(TcpTestClient.connect(key.address()));
        longOne.readLine();

        String answers = answers(key, 10);

        assertThat(answers).contains("a").contains("b");
    }
}
