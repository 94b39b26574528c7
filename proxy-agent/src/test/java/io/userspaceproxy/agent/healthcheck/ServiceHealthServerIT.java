package io.userspaceproxy.agent.healthcheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.Channel;
import io.userspaceproxy.agent.http.HttpGet;
import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.core.model.IpAddresses;
import io.userspaceproxy.core.testing.TcpPorts;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The healthCheckNodePort servers on real loopback sockets: opened, kept, moved, closed; a taken port tolerated. */
@Timeout(30)
class ServiceHealthServerIT {

    private static final ObjectRef WEB = ObjectRef.of("shop", "web");
    private static final ObjectRef API = ObjectRef.of("shop", "api");
    private static final InetAddress LOOPBACK = IpAddresses.parse("127.0.0.1");

    private final AtomicInteger bindFailures = new AtomicInteger();
    private final ServiceHealthServer server = ServiceHealthServer.start(List.of(LOOPBACK), () -> true,
            bindFailures::incrementAndGet);

    @AfterEach
    void tearDown() {
        server.close();
    }

    @Test
    void syncServicesAndEndpoints_answerPerService() throws Exception {
        InetSocketAddress web = TcpPorts.freeAddress("127.0.0.1");
        InetSocketAddress api = TcpPorts.freeAddress("127.0.0.1");

        server.syncServices(Map.of(WEB, web.getPort(), API, api.getPort()));
        server.syncEndpoints(Map.of(WEB, 1));

        HttpResponse<String> up = HttpGet.get(web, "/healthz");
        assertThat(up.statusCode()).isEqualTo(200);
        assertThat(up.body()).contains("\"name\": \"web\"", "\"localEndpoints\": 1");
        HttpResponse<String> down = HttpGet.get(api, "/healthz");
        assertThat(down.statusCode()).isEqualTo(503);
        assertThat(down.body()).contains("\"name\": \"api\"", "\"localEndpoints\": 0");
    }

    @Test
    void syncServices_samePort_keepsListener_otherPortMovesIt_goneClosesIt() throws Exception {
        InetSocketAddress first = TcpPorts.freeAddress("127.0.0.1");
        server.syncServices(Map.of(WEB, first.getPort()));
        Channel listener = server.anyListener(WEB);

        server.syncServices(Map.of(WEB, first.getPort()));
        assertThat(server.anyListener(WEB)).isSameAs(listener);

        InetSocketAddress second = TcpPorts.freeAddress("127.0.0.1");
        server.syncServices(Map.of(WEB, second.getPort()));
        assertThat(HttpGet.get(second, "/").statusCode()).isEqualTo(503);
        assertThatThrownBy(() -> HttpGet.get(first, "/")).isInstanceOf(IOException.class);

        server.syncServices(Map.of());
        assertThat(server.ports()).isEmpty();
        assertThatThrownBy(() -> HttpGet.get(second, "/")).isInstanceOf(IOException.class);
    }

    @Test
    void syncServices_portInUse_countedOthersServed_retriedOnceFree() throws Exception {
        InetSocketAddress web = TcpPorts.freeAddress("127.0.0.1");
        InetSocketAddress taken;
        try (ServerSocket squatter = new ServerSocket(0, 1, LOOPBACK)) {
            taken = (InetSocketAddress) squatter.getLocalSocketAddress();

            server.syncServices(Map.of(WEB, web.getPort(), API, taken.getPort()));
            server.syncServices(Map.of(WEB, web.getPort(), API, taken.getPort()));

            assertThat(server.ports()).containsOnlyKeys(WEB);
            assertThat(server.bindFailures()).isEqualTo(2);
            assertThat(bindFailures).hasValue(2);
            assertThat(HttpGet.get(web, "/").statusCode()).isEqualTo(503);
        }

        server.syncServices(Map.of(WEB, web.getPort(), API, taken.getPort()));
        server.syncEndpoints(Map.of(API, 3));

        assertThat(server.ports()).containsEntry(API, taken.getPort());
        assertThat(HttpGet.get(taken, "/").body()).contains("\"localEndpoints\": 3");
    }

    @Test
    void proxyUnhealthy_every503() throws Exception {
        try (ServiceHealthServer sick = ServiceHealthServer.start(List.of(LOOPBACK), () -> false, () -> { })) {
            InetSocketAddress web = TcpPorts.freeAddress("127.0.0.1");
            sick.syncServices(Map.of(WEB, web.getPort()));
            sick.syncEndpoints(Map.of(WEB, 5));

            HttpResponse<String> response = HttpGet.get(web, "/healthz");

            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.body()).contains("\"serviceProxyHealthy\": false");
        }
    }
}
