package io.userspaceproxy.agent.health;

import static io.userspaceproxy.agent.http.HttpGet.get;
import static io.userspaceproxy.agent.http.HttpGet.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.userspaceproxy.agent.http.HttpBindException;
import io.userspaceproxy.agent.testing.MutableClock;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class HealthServerIT {

    private final MutableClock clock = new MutableClock(Instant.parse("2025-03-04T05:06:07Z"));
    private final SyncHealth health = SyncHealth.create(Duration.ofSeconds(30), clock);
    private HealthServer server;

    @BeforeEach
    void start() throws Exception {
        server = HealthServer.start(new InetSocketAddress("127.0.0.1", 0), health);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void start_portZero_exposesTheBoundPort() {
        assertThat(server.address().getPort()).isPositive();
        assertThat(server.address().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
    }

    @Test
    void healthz_staleChangeThenSync_503Then200() throws Exception {
        assertThat(get(server.address(), "/healthz").statusCode()).isEqualTo(200);

        health.onQueued();
        clock.advance(Duration.ofSeconds(61));
        HttpResponse<String> stale = get(server.address(), "/healthz");
        assertThat(stale.statusCode()).isEqualTo(503);
        assertThat(stale.headers().firstValue("Content-Type")).contains("application/json");
        assertThat(stale.body()).isEqualTo("{\"lastUpdated\": \"0001-01-01T00:00:00Z\", "
                + "\"currentTime\": \"2025-03-04T05:07:08Z\", \"nodeEligible\": true}");

        health.onSynced();
        HttpResponse<String> synced = get(server.address(), "/healthz");
        assertThat(synced.statusCode()).isEqualTo(200);
        assertThat(synced.body()).contains("\"lastUpdated\": \"2025-03-04T05:07:08Z\"");
        assertThat(health.probes(Probe.HEALTHZ, 503)).isEqualTo(1);
        assertThat(health.probes(Probe.HEALTHZ, 200)).isEqualTo(2);
    }

    @Test
    void livez_nodeIneligible_stays200WhileHealthzIs503() throws Exception {
        health.setNodeEligible(false);

        HttpResponse<String> livez = get(server.address(), "/livez");
        assertThat(livez.statusCode()).isEqualTo(200);
        assertThat(livez.body()).doesNotContain("nodeEligible");
        assertThat(get(server.address(), "/healthz").statusCode()).isEqualTo(503);
    }

    @Test
    void unknownPathOrMethod_404And405() throws Exception {
        assertThat(get(server.address(), "/healthzx").statusCode()).isEqualTo(404);
        assertThat(get(server.address(), "/").statusCode()).isEqualTo(404);
        HttpResponse<String> post = send(server.address(), "/healthz", "POST", null);
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).contains("GET, HEAD");
    }

    @Test
    void head_healthz_statusWithoutBody() throws Exception {
        HttpResponse<String> head = send(server.address(), "/healthz", "HEAD", null);

        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
    }

    @Test
    void start_addressInUse_failsNamingAddressAndReason() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", taken.getLocalPort());

            assertThatThrownBy(() -> HealthServer.start(address, health))
                    .isInstanceOf(HttpBindException.class)
                    .hasMessage("healthz server: cannot listen on 127.0.0.1:" + taken.getLocalPort()
                            + ": Address already in use")
                    .satisfies(e -> assertThat(((HttpBindException) e).address()).isEqualTo(address));
        }
    }
}
