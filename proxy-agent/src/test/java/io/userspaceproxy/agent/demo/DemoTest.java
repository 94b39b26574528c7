package io.userspaceproxy.agent.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.ServicePortName;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code --demo}: a stand-in backend on every endpoint of the served routes, each saying which endpoint it is. */
class DemoTest {

    private static final ServicePortName ECHO = new ServicePortName("demo", "echo", "http", Protocol.TCP);

    @Test
    void start_routesWithFreeEndpoints_eachEndpointAnswersWithItsOwnAddressUntilClosed() throws Exception {
        Endpoint a = Endpoint.of("127.0.0.1", freePort());
        Endpoint b = Endpoint.of("127.0.0.1", freePort());
        // A VIP nothing listens on: the demo client's requests fail and are logged, nothing more.
        ListenerKey vip = ListenerKey.of(Protocol.TCP, new InetSocketAddress("127.0.10.250", freePort()));

        try (Demo demo = Demo.start(Map.of(vip, Route.of(ECHO, FrontendKind.CLUSTER_IP, List.of(a, b))))) {
            assertThat(get(a))
                    .isEqualTo("hello from 127.0.0.1:" + a.address().getPort() + " (an endpoint of demo/echo:http)\n");
            assertThat(get(b)).startsWith("hello from 127.0.0.1:" + b.address().getPort());
        }

        try (ServerSocket again = new ServerSocket(a.address().getPort(), 1, a.address().getAddress())) {
            assertThat(again.isBound()).as("the backend let its port go").isTrue();
        }
    }

    @Test
    void start_endpointAlreadyInUse_leftToWhateverListensThere() throws Exception {
        try (ServerSocket developers = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Endpoint taken = Endpoint.of("127.0.0.1", developers.getLocalPort());
            Endpoint free = Endpoint.of("127.0.0.1", freePort());

            try (DemoBackends backends = DemoBackends.start(List.of(
                    new DemoBackends.Backend(Protocol.TCP, taken, "demo/taken:http"),
                    new DemoBackends.Backend(Protocol.TCP, free, "demo/free:http")))) {
                assertThat(backends.size()).isEqualTo(1);
                assertThat(backends.httpAddresses()).extracting(InetSocketAddress::getPort)
                        .containsExactly(free.address().getPort());
                assertThat(get(free)).startsWith("hello from 127.0.0.1:" + free.address().getPort());
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String get(Endpoint endpoint) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + endpoint.address().getPort() + "/")).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.body();
    }
}
