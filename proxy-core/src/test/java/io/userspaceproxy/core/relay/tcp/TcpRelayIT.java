package io.userspaceproxy.core.relay.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.userspaceproxy.core.listen.Transport;
import io.userspaceproxy.core.metrics.CloseReason;
import io.userspaceproxy.core.model.Cidr;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.IpAddresses;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.relay.RelayOptions;
import io.userspaceproxy.core.testing.ProxyFixture;
import io.userspaceproxy.core.testing.TcpBlackholeServer;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPayload;
import io.userspaceproxy.core.testing.TcpPorts;
import io.userspaceproxy.core.testing.TcpSinkServer;
import io.userspaceproxy.core.testing.TcpSourceServer;
import io.userspaceproxy.core.testing.TcpTestClient;
import io.userspaceproxy.core.testing.TransportLeakCheck;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The TCP relay end to end on loopback, once per transport: real listeners on 127.0.10.x VIPs, blocking backends on
 * 127.0.0.1, blocking clients. Each test asserts what the client or backend received and what the counters say.
 */
@ExtendWith(TransportLeakCheck.class)
@ParameterizedClass
@EnumSource(Transport.class)
class TcpRelayIT {

    private static final long MiB = 1024 * 1024;

    @RegisterExtension
    final ProxyFixture fixture;

    TcpRelayIT(Transport transport) {
        this.fixture = new ProxyFixture(transport);
    }

    /** Starts a proxy with {@code options} serving {@code route} on a fresh VIP listener; returns that listener. */
    private InetSocketAddress serve(RelayOptions options, Route route) {
        fixture.start(options);
        return fixture.serve("127.0.10.1", route).address();
    }

    private InetSocketAddress serve(Endpoint... endpoints) {
        return serve(RelayOptions.DEFAULT, Route.of(ProxyFixture.WEB, FrontendKind.CLUSTER_IP, List.of(endpoints)));
    }

    /** Connects (from {@code from} unless null) and reads: the proxy's reset may surface in either step. */
    private static void assertReset(InetSocketAddress vip, InetAddress from) {
        assertThatThrownBy(() -> {
            try (TcpTestClient client = TcpTestClient.connect(vip, from, 0)) {
                client.read();
            }
        }).isInstanceOf(SocketException.class).hasMessageContaining("reset");
    }

    @Test
    @Timeout(30)
    void accept_threeEndpoints_spreadsSequentialConnectionsEvenly() throws IOException {
        TcpEchoServer a = fixture.add(new TcpEchoServer("a"));
        TcpEchoServer b = fixture.add(new TcpEchoServer("b"));
        TcpEchoServer c = fixture.add(new TcpEchoServer("c"));
        InetSocketAddress vip = serve(a.endpoint(), b.endpoint(), c.endpoint());

        Map<String, Integer> answeredBy = new HashMap<>();
        for (int i = 0; i < 30; i++) {
            try (TcpTestClient client = TcpTestClient.connect(vip)) {
                answeredBy.merge(client.readLine(), 1, Integer::sum);
            }
        }

        assertThat(answeredBy).containsOnly(Map.entry("a", 10), Map.entry("b", 10), Map.entry("c", 10));
        assertThat(fixture.web().connectionsOpened()).isEqualTo(30);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(fixture.web().closes(CloseReason.COMPLETED)).isEqualTo(30);
            assertThat(fixture.web().connectionsActive()).isZero();
        });
    }

    @Test
    @Timeout(60)
    void upload_256MiB_arrivesIntactAtBackend() throws IOException {
        TcpSinkServer sink = fixture.add(new TcpSinkServer());
        InetSocketAddress vip = serve(sink.endpoint());
        long length = 256 * MiB;

        try (TcpTestClient client = TcpTestClient.connect(vip)) {
            TcpPayload.write(client.output(), length);
            client.shutdownOutput();
            assertThat(TcpPayload.Summary.readFrom(client.input())).isEqualTo(TcpPayload.expected(length));
            assertThat(client.read()).isEqualTo(-1);
        }
        assertThat(fixture.web().bytesToBackend()).isEqualTo(length);
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(fixture.web().closes(CloseReason.COMPLETED)).isEqualTo(1));
    }

    @Test
    @Timeout(60)
    void download_256MiB_arrivesIntactAtClient() throws IOException {
        long length = 256 * MiB;
        TcpSourceServer source = fixture.add(new TcpSourceServer(length));
        InetSocketAddress vip = serve(source.endpoint());

        try (TcpTestClient client = TcpTestClient.connect(vip)) {
            assertThat(TcpPayload.readToEnd(client.input())).isEqualTo(TcpPayload.expected(length));
        }
        assertThat(fixture.web().bytesToFrontend()).isEqualTo(length);
    }

    @Test
    @Timeout(60)
    void slowReader_backendSends32MiBAndCloses_proxyBuffersBoundedAndEveryByteArrives() throws IOException {
        long length = 32 * MiB;
        TcpSourceServer source = fixture.add(new TcpSourceServer(length));
        // The copy relay's backpressure, so no transport splices this stream: SpliceRelayIT has the spliced one.
        InetSocketAddress vip = serve(RelayOptions.DEFAULT.withSpliceThresholdBytes(0),
                Route.of(ProxyFixture.WEB, FrontendKind.CLUSTER_IP, List.of(source.endpoint())));

        try (TcpTestClient client = TcpTestClient.connect(vip, null, 4 * 1024)) {
            // The client reads nothing for a second. Without backpressure the proxy would read the whole 32 MiB
            // from the backend into memory within that second; with it, reading stops once the frontend's queue
            // is above the high water mark and the kernel buffers between proxy and client are full.
            await().atMost(Duration.ofSeconds(5)).until(() -> fixture.web().bytesToFrontend() > 0);
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
                    .until(() -> fixture.web().bytesToFrontend() < 16 * MiB);

            assertThat(TcpPayload.readToEnd(client.input())).isEqualTo(TcpPayload.expected(length));
        }
        assertThat(fixture.web().bytesToFrontend()).isEqualTo(length);
        assertThat(fixture.web().flowControl(false, true)).as("reading the backend paused for the slow client").isPositive();
        assertThat(fixture.web().flowControl(false, false)).as("and resumed").isPositive();
        assertThat(fixture.web().flowControl(true, true)).as("the client sent nothing to hold back").isZero();
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(fixture.web().closes(CloseReason.COMPLETED)).isEqualTo(1));
    }

    @Test
    @Timeout(30)
    void halfClose_clientShutsDownOutput_replyStillArrives() throws IOException {
        TcpEchoServer echo = fixture.add(new TcpEchoServer("a"));
        InetSocketAddress vip = serve(echo.endpoint());

        try (TcpTestClient client = TcpTestClient.connect(vip)) {
            assertThat(client.readLine()).isEqualTo("a");
            client.writeLine("last words").shutdownOutput();

            assertThat(client.readLine()).isEqualTo("last words");
            assertThat(client.read()).isEqualTo(-1);
        }
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(fixture.web().closes(CloseReason.COMPLETED)).isEqualTo(1));
    }

    @Test
    @Timeout(30)
    void connect_refusingEndpoint_isSkippedForTheNext() throws IOException {
        TcpEchoServer echo = fixture.add(new TcpEchoServer("a"));
        InetSocketAddress vip = serve(TcpPorts.refusingEndpoint(), echo.endpoint());

        for (int i = 0; i < 4; i++) {
            try (TcpTestClient client = TcpTestClient.connect(vip)) {
                assertThat(client.readLine()).isEqualTo("a");
            }
        }

        // Round-robin sends every other connection to the refusing endpoint first.
        assertThat(fixture.web().connectFailures()).isEqualTo(2);
        assertThat(fixture.web().connectRetries()).isEqualTo(2);
        assertThat(fixture.web().connectionsOpened()).isEqualTo(4);
    }

    @Test
    @Timeout(30)
    void connect_everyEndpointRefuses_clientIsResetAfterTheSchedule() throws IOException {
        InetSocketAddress vip = serve(TcpPorts.refusingEndpoint(), TcpPorts.refusingEndpoint());

        assertReset(vip, null);

        assertThat(fixture.web().connectFailures()).isEqualTo(RelayOptions.DEFAULT_CONNECT_TIMEOUTS.size());
        assertThat(fixture.web().connectRetries()).isEqualTo(RelayOptions.DEFAULT_CONNECT_TIMEOUTS.size() - 1);
        assertThat(fixture.web().closes(CloseReason.CONNECT_FAILED)).isEqualTo(1);
        assertThat(fixture.web().connectionsOpened()).isZero();
    }

    @Test
    @Timeout(30)
    void connect_endpointTimesOut_nextEndpointGetsTheBytesAndFinSentMeanwhile() throws IOException {
        TcpBlackholeServer blackhole = fixture.add(new TcpBlackholeServer());
        TcpEchoServer echo = fixture.add(new TcpEchoServer("a"));
        RelayOptions options = RelayOptions.DEFAULT
                .withConnectTimeouts(List.of(Duration.ofMillis(300), Duration.ofSeconds(2)));
        InetSocketAddress vip = serve(options,
                Route.of(ProxyFixture.WEB, FrontendKind.CLUSTER_IP, List.of(blackhole.endpoint(), echo.endpoint())));

        try (TcpTestClient client = TcpTestClient.connect(vip)) {
            // Request and FIN are in before the first attempt times out; epoll reads them while connecting.
            client.writeLine("sent while connecting").shutdownOutput();

            assertThat(client.readLine()).isEqualTo("a");
            assertThat(client.readLine()).isEqualTo("sent while connecting");
            assertThat(client.read()).isEqualTo(-1);
        }
        assertThat(fixture.web().connectFailures()).isEqualTo(1);
        assertThat(fixture.web().connectRetries()).isEqualTo(1);
    }

    @Test
    @Timeout(30)
    void accept_noEndpoints_clientIsResetAtOnce() throws IOException {
        InetSocketAddress vip = serve();

        long start = System.nanoTime();
        assertReset(vip, null);
        // Well under 100 ms on a quiet machine; the bound proves the client is not left hanging on a busy one.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(500));
        assertThat(fixture.web().noEndpointRejections()).isEqualTo(1);
        assertThat(fixture.web().closes(CloseReason.NO_ENDPOINTS)).isEqualTo(1);
        assertThat(fixture.web().connectionsOpened()).isZero();
    }

    @Test
    @Timeout(30)
    void accept_sourceRanges_admitOnlyClientsInside() throws IOException {
        TcpEchoServer echo = fixture.add(new TcpEchoServer("a"));
        Route route = Route.of(ProxyFixture.WEB, FrontendKind.LOAD_BALANCER, List.of(echo.endpoint()))
                .withSourceRanges(List.of(Cidr.parse("127.0.0.2/32")));
        InetSocketAddress vip = serve(RelayOptions.DEFAULT, route);

        try (TcpTestClient inside = TcpTestClient.connect(vip, IpAddresses.parse("127.0.0.2"), 0)) {
            assertThat(inside.readLine()).isEqualTo("a");
        }
        assertReset(vip, IpAddresses.parse("127.0.0.3"));
        assertThat(fixture.web().sourceRangeRejections()).isEqualTo(1);
        assertThat(fixture.web().connectionsOpened()).isEqualTo(1);
        assertThat(echo.accepted()).isEqualTo(1);
    }

    @Test
    @Timeout(30)
    void idle_nothingMovesForTheTimeout_connectionIsClosed() throws IOException {
        TcpEchoServer echo = fixture.add(new TcpEchoServer("a"));
        Duration idle = Duration.ofMillis(400);
        InetSocketAddress vip = serve(RelayOptions.DEFAULT.withTcpIdleTimeout(idle),
                Route.of(ProxyFixture.WEB, FrontendKind.CLUSTER_IP, List.of(echo.endpoint())));

        try (TcpTestClient client = TcpTestClient.connect(vip)) {
            assertThat(client.readLine()).isEqualTo("a");
            client.writeLine("still here");
            assertThat(client.readLine()).isEqualTo("still here");
            long quietSince = System.nanoTime();

            assertThat(client.read()).isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - quietSince)).isGreaterThan(idle.dividedBy(2));
        }
        assertThat(fixture.web().closes(CloseReason.IDLE_TIMEOUT)).isEqualTo(1);
    }

    @Test
    @Timeout(30)
    void relay_bytesBothWays_areCounted() throws IOException {
        TcpEchoServer echo = fixture.add(new TcpEchoServer("a"));
        InetSocketAddress vip = serve(echo.endpoint());

        try (TcpTestClient client = TcpTestClient.connect(vip)) {
            assertThat(client.readLine()).isEqualTo("a");
            OutputStream out = client.output();
            out.write(new byte[1000]);
            out.flush();
            client.shutdownOutput();
            assertThat(client.input().readAllBytes()).hasSize(1000);
        }
        assertThat(fixture.web().bytesToBackend()).isEqualTo(1000);
        assertThat(fixture.web().bytesToFrontend()).isEqualTo(1000 + "a\n".length());
    }
}
