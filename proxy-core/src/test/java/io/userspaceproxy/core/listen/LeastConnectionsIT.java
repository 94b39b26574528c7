package io.userspaceproxy.core.listen;

import static io.userspaceproxy.core.testing.ProxyFixture.WEB;
import static io.userspaceproxy.core.testing.ProxyFixture.firstLine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.userspaceproxy.core.model.BalancingAlgorithm;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.testing.ProxyFixture;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPorts;
import io.userspaceproxy.core.testing.TcpTestClient;
import io.userspaceproxy.core.testing.TransportLeakCheck;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Least connections with real connections on loopback: while one endpoint holds long connections (a slow one),
 * new short connections go to the other, where round-robin keeps sending it every second one; once those long
 * connections end, it gets its turn again. The counts carry over a sync that adds an endpoint.
 */
@ExtendWith(TransportLeakCheck.class)
@Timeout(60)
class LeastConnectionsIT {

    @RegisterExtension
    final ProxyFixture fixture = new ProxyFixture();

    private ListenerKey serve(String ip, BalancingAlgorithm algorithm, TcpEchoServer... endpoints) {
        return fixture.serve(ip, Route.of(WEB, FrontendKind.CLUSTER_IP,
                List.of(endpoints[0].endpoint(), endpoints[1].endpoint())).withAlgorithm(algorithm));
    }

    private String answers(ListenerKey key, int n) throws IOException {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < n; i++) {
            out.append(firstLine(key));
        }
        return out.toString();
    }

    /**
     * As {@link #answers}, each next connection made once the proxy has closed the one before: a short connection
     * to b still closing would count against b, and at three a tie with a's three sends the next one to a.
     */
    private String answersEachClosed(ListenerKey key, int n, int held) throws IOException {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < n; i++) {
            out.append(firstLine(key));
            await().atMost(Duration.ofSeconds(5)).until(() -> fixture.web().connectionsActive() == held);
        }
        return out.toString();
    }

    @Test
    void slowEndpointHoldingConnections_newOnesGoToTheOther() throws Exception {
        TcpEchoServer a = fixture.add(new TcpEchoServer("a"));
        TcpEchoServer b = fixture.add(new TcpEchoServer("b"));
        ListenerKey key = ListenerKey.of(Protocol.TCP, TcpPorts.freeAddress("127.0.15.1"));
        Route onlyA = Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(a.endpoint()))
                .withAlgorithm(BalancingAlgorithm.LEAST_CONNECTIONS);
        fixture.serve(key, onlyA);
        List<TcpTestClient> slow = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            TcpTestClient c = fixture.add(TcpTestClient.connect(key.address()));
            assertThat(c.readLine()).isEqualTo("a");
            slow.add(c);
        }

        fixture.serve(key, onlyA.withEndpoints(List.of(a.endpoint(), b.endpoint())));

        assertThat(answersEachClosed(key, 10, slow.size())).as("a holds three long connections")
                .isEqualTo("b".repeat(10));
        for (TcpTestClient c : slow) {
            c.close();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> answers(key, 4).contains("a"));
    }

    @Test
    void roundRobin_sameLoad_keepsAlternating() throws Exception {
        TcpEchoServer a = fixture.add(new TcpEchoServer("a"));
        TcpEchoServer b = fixture.add(new TcpEchoServer("b"));
        ListenerKey key = serve("127.0.15.2", BalancingAlgorithm.ROUND_ROBIN, a, b);
        TcpTestClient longOne = fixture.add(TcpTestClient.connect(key.address()));
        longOne.readLine();

        String answers = answers(key, 10);

        assertThat(answers).contains("a").contains("b");
    }
}
