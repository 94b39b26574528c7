package io.userspaceproxy.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RouteTest {

    private static final ServicePortName WEB = new ServicePortName("shop", "web", "http", Protocol.TCP);

    @Test
    void new_endpointList_isCopiedSoLaterEditsDoNotLeakIn() {
        List<Endpoint> eps = new ArrayList<>(List.of(Endpoint.of("10.0.0.1", 80)));
        Route route = Route.of(WEB, FrontendKind.CLUSTER_IP, eps);

        eps.add(Endpoint.of("10.0.0.2", 80));

        assertThat(route.endpoints()).containsExactly(Endpoint.of("10.0.0.1", 80));
    }

    @Test
    void new_nonPositiveUdpTimeout_failsWithExpectation() {
        assertThatThrownBy(() -> Route.of(WEB, FrontendKind.CLUSTER_IP, List.of()).withUdpIdleTimeout(Duration.ZERO))
                .hasMessage("udpIdleTimeout: PT0S (expected: > 0)");
    }

    @Test
    void clientIpAffinity_timeoutOutsideApiRange_fails() {
        assertThatThrownBy(() -> SessionAffinity.clientIp(Duration.ofSeconds(86401)))
                .hasMessage("timeoutSeconds: 86401 (expected: 1..86400)");
    }

    @Test
    void servicePortName_toString_isKubeProxyStyle() {
        assertThat(WEB).hasToString("shop/web:http");
        assertThat(new ServicePortName("shop", "web", "", Protocol.UDP)).hasToString("shop/web");
    }

    @Test
    void listenerKey_toString_bracketsIpv6() {
        assertThat(ListenerKey.of(Protocol.UDP, Endpoint.of("fd00::10", 53).address())).hasToString("UDP [fd00::10]:53");
    }
}
