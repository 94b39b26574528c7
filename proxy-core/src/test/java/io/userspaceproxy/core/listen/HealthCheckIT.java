package io.userspaceproxy.core.listen;

import static io.userspaceproxy.core.testing.ProxyFixture.WEB;
import static io.userspaceproxy.core.testing.ProxyFixture.firstLine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.HealthCheck;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.OutlierDetection;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteSnapshot;
import io.userspaceproxy.core.testing.ProxyFixture;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpLineServer;
import io.userspaceproxy.core.testing.TcpPorts;
import io.userspaceproxy.core.testing.TransportLeakCheck;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Active TCP health checks on loopback, with passive outlier detection off so that only the check can act: a dead
 * endpoint is marked unhealthy before any client connects, no client then pays a failed connect for it, and once it
 * answers the check again it gets clients again.
 */
@ExtendWith(TransportLeakCheck.class)
@Timeout(60)
class HealthCheckIT {

    private static final HealthCheck FAST = new HealthCheck(Duration.ofMillis(100), Duration.ofMillis(500), 1, 1);

    @RegisterExtension
    final ProxyFixture fixture = new ProxyFixture();

    @Test
    void deadEndpoint_markedBeforeAnyClient_noClientPays_thenBackOnceItAnswers() throws Exception {
        TcpEchoServer live = fixture.add(new TcpEchoServer("live"));
        Endpoint dead = TcpPorts.refusingEndpoint();
        ListenerKey key = ListenerKey.of(Protocol.TCP, TcpPorts.freeAddress("127.0.16.1"));
        fixture.serve(key, Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(dead, live.endpoint()))
                .withOutlierDetection(OutlierDetection.OFF).withHealthCheck(FAST));
        ServicePortCounters web = fixture.web();

        await().atMost(Duration.ofSeconds(10)).until(() -> web.markedUnhealthy() == 1);
        for (int i = 0; i < 20; i++) {
            assertThat(firstLine(key)).isEqualTo("live");
        }

        assertThat(web.connectFailures()).as("no client tried the dead endpoint").isZero();
        try (TcpLineServer revived = TcpLineServer.start(dead.address().getPort(), "revived")) {
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                    .until(() -> "revived".equals(firstLine(key)));
        }
    }

    @Test
    void checksStop_whenTheServiceLeaves() throws Exception {
        Endpoint dead = TcpPorts.refusingEndpoint();
        ListenerKey key = ListenerKey.of(Protocol.TCP, TcpPorts.freeAddress("127.0.16.2"));
        fixture.serve(key, Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(dead))
                .withHealthCheck(FAST));
        ServicePortCounters web = fixture.web();
        await().atMost(Duration.ofSeconds(10)).until(() -> web.healthCheckFailures() >= 2);

        fixture.proxy().apply(new RouteSnapshot(Map.of()));
        long after = web.healthCheckFailures();

        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
                .until(() -> web.healthCheckFailures() <= after + 1); // one may have been under way
    }
}
