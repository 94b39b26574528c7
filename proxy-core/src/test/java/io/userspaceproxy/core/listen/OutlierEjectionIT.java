package io.userspaceproxy.core.listen;

import static io.userspaceproxy.core.testing.ProxyFixture.WEB;
import static io.userspaceproxy.core.testing.ProxyFixture.firstLine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.OutlierDetection;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.relay.RelayOptions;
import io.userspaceproxy.core.testing.ProxyFixture;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpLineServer;
import io.userspaceproxy.core.testing.TcpPorts;
import io.userspaceproxy.core.testing.TcpTestClient;
import io.userspaceproxy.core.testing.TransportLeakCheck;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Passive outlier ejection with real connects on loopback (the default transport): a listed endpoint where nothing
 * listens costs three connect failures, then none while it is ejected, and once it answers again and its ejection
 * time is up, it gets connections again; with detection off, every second connection keeps paying.
 */
@ExtendWith(TransportLeakCheck.class)
@Timeout(60)
class OutlierEjectionIT {

    @RegisterExtension
    final ProxyFixture fixture = new ProxyFixture(ListenerOptions.defaults().withRelay(RelayOptions.DEFAULT)
            .withBindTimeout(Duration.ofSeconds(5)));

    private ListenerKey serve(String ip, Endpoint dead, Endpoint live, OutlierDetection detection) {
        return fixture.serve(ip, Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(dead, live))
                .withOutlierDetection(detection));
    }

    @Test
    void deadEndpoint_ejectedAfterThreeFailures_thenServedAgainOnceItAnswers() throws Exception {
        TcpEchoServer live = fixture.add(new TcpEchoServer("live"));
        Endpoint dead = TcpPorts.refusingEndpoint();
        ListenerKey key = serve("127.0.13.1", dead, live.endpoint(),
                new OutlierDetection(3, Duration.ofMillis(500), 50));
        ServicePortCounters web = fixture.web();

        for (int i = 0; i < 20; i++) {
            assertThat(firstLine(key)).isEqualTo("live");
        }

        assertThat(web.connectFailures()).as("three, then the endpoint is left out").isEqualTo(3);
        assertThat(web.outlierEjections()).isEqualTo(1);

        try (TcpLineServer revived = TcpLineServer.start(dead.address().getPort(), "revived")) {
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                    .until(() -> "revived".equals(firstLine(key)));
        }
        assertThat(web.connectFailures()).as("a live endpoint after its ejection costs nothing").isEqualTo(3);
    }

    @Test
    void endpointView_showsTheEjectionAndTheOpenConnections() throws Exception {
        TcpEchoServer live = fixture.add(new TcpEchoServer("live"));
        Endpoint dead = TcpPorts.refusingEndpoint();
        ListenerKey key = serve("127.0.13.3", dead, live.endpoint(),
                new OutlierDetection(3, Duration.ofMinutes(1), 50));
        for (int i = 0; i < 8; i++) {
            assertThat(firstLine(key)).isEqualTo("live");
        }
        TcpTestClient held = fixture.add(TcpTestClient.connect(key.address()));
        assertThat(held.readLine()).isEqualTo("live");
        // The eight earlier clients have closed, but the proxy may not have seen the last EOF yet.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(EndpointView.of(fixture.proxy(),
                p -> p.equals(WEB))).filteredOn(s -> s.endpoint().equals(live.endpoint()))
                .singleElement().satisfies(s -> assertThat(s.openConnections()).isEqualTo(1)));

        List<EndpointView.EndpointState> all = EndpointView.of(fixture.proxy(), p -> p.equals(WEB));
        List<EndpointView.EndpointState> active = EndpointView.active(fixture.proxy());

        assertThat(all).hasSize(2);
        EndpointView.EndpointState deadState = all.stream().filter(s -> s.endpoint().equals(dead)).findFirst()
                .orElseThrow();
        assertThat(deadState.connectFailures()).isEqualTo(3);
        assertThat(deadState.ejections()).isEqualTo(1);
        assertThat(deadState.ejectedForNanos()).isPositive();
        assertThat(all).filteredOn(s -> s.endpoint().equals(live.endpoint()))
                .singleElement().satisfies(s -> assertThat(s.openConnections()).isEqualTo(1));
        assertThat(active).as("the same two: both have something to report").hasSize(2);
        assertThat(EndpointView.of(fixture.proxy(), p -> false)).isEmpty();
    }

    @Test
    void detectionOff_everyOtherConnectionPaysAFailure() throws Exception {
        TcpEchoServer live = fixture.add(new TcpEchoServer("live"));
        ListenerKey key = serve("127.0.13.2", TcpPorts.refusingEndpoint(), live.endpoint(), OutlierDetection.OFF);

        for (int i = 0; i < 20; i++) {
            assertThat(firstLine(key)).isEqualTo("live");
        }

        assertThat(fixture.web().connectFailures()).isEqualTo(10);
        assertThat(fixture.web().outlierEjections()).isZero();
    }
}
