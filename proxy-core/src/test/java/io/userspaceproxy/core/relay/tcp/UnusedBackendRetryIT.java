package io.userspaceproxy.core.relay.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.listen.Transport;
import io.userspaceproxy.core.metrics.CloseReason;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.relay.RelayOptions;
import io.userspaceproxy.core.testing.ProxyFixture;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpTestClient;
import io.userspaceproxy.core.testing.TransportLeakCheck;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 11: a backend connection that the endpoint's kernel accepted into the listen queue, then reset because the
 * listener closed before the application accepted it. Real sockets on loopback, once per transport. The endpoint
 * that dies is a {@link ServerSocket} that never accepts: closing it resets every connection in its queue.
 */
@ExtendWith(TransportLeakCheck.class)
@ParameterizedClass
@EnumSource(Transport.class)
class UnusedBackendRetryIT {

    private static final ServicePortName WEB = ProxyFixture.WEB;
    private static final Duration WITHIN = Duration.ofSeconds(10);

    @RegisterExtension
    final ProxyFixture fixture;

    UnusedBackendRetryIT(Transport transport) {
        this.fixture = new ProxyFixture(transport);
    }

    private InetSocketAddress serve(Endpoint... endpoints) {
        fixture.start(fixture.options().withIoThreads(1), BalancerFactory.ROUND_ROBIN);
        return fixture.serve("127.0.10.1", Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(endpoints))).address();
    }

    /** A listener whose application never accepts: connections wait in its queue until it closes and resets them. */
    private static ServerSocket neverAccepting() throws IOException {
        return new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    private static Endpoint endpointOf(ServerSocket socket) {
        return Endpoint.of(socket.getInetAddress().getHostAddress(), socket.getLocalPort());
    }

    private ServicePortCounters web() {
        return fixture.web();
    }

    @Test
    @Timeout(30)
    void backendResetBeforeAnyByte_retriedOnAnotherEndpoint() throws IOException {
        ServerSocket dying = fixture.add(neverAccepting());
        TcpEchoServer b = fixture.add(new TcpEchoServer("b"));
        InetSocketAddress vip = serve(endpointOf(dying), b.endpoint());

        try (TcpTestClient client = TcpTestClient.connect(vip)) {
            await().atMost(WITHIN).until(() -> web().connectionsOpened() == 1); // queued at the dying endpoint
            dying.close(); // the kernel resets the queued connection

            assertThat(client.readLine()).as("served by the other endpoint").isEqualTo("b");
            assertThat(client.writeLine("hello").readLine()).isEqualTo("hello");
        }
        assertThat(web().connectionsOpened()).as("one connection, counted once").isEqualTo(1);
        assertThat(web().connectRetries()).isEqualTo(1);
        await().atMost(WITHIN).untilAsserted(() -> {
            assertThat(web().closes(CloseReason.COMPLETED)).isEqualTo(1);
            assertThat(web().closes(CloseReason.BACKEND_ERROR)).isZero();
        });
    }

    @Test
    @Timeout(30)
    void backendResetAfterBytesWereWritten_notRetried_closedAsBackendError() throws IOException {
        ServerSocket dying = fixture.add(neverAccepting());
        TcpEchoServer b = fixture.add(new TcpEchoServer("b"));
        InetSocketAddress vip = serve(endpointOf(dying), b.endpoint());

        try (TcpTestClient client = TcpTestClient.connect(vip)) {
            await().atMost(WITHIN).until(() -> web().connectionsOpened() == 1);
            client.writeLine("a request the dying endpoint may have read");
            await().atMost(WITHIN).until(() -> web().bytesToBackend() > 0);
            dying.close();

            assertThat(client.read()).as("closed, never replayed to the other endpoint").isEqualTo(-1);
        }
        await().atMost(WITHIN).untilAsserted(
                () -> assertThat(web().closes(CloseReason.BACKEND_ERROR)).isEqualTo(1));
        assertThat(web().connectRetries()).isZero();
    }

    @Test
    @Timeout(30)
    void everyEndpointResetsBeforeAnyByte_scheduleRunsOut_clientReset() throws IOException {
        ServerSocket dying = fixture.add(neverAccepting());
        InetSocketAddress vip = serve(endpointOf(dying));

        try (TcpTestClient client = TcpTestClient.connect(vip)) {
            await().atMost(WITHIN).until(() -> web().connectionsOpened() == 1);
            dying.close(); // later attempts find nothing listening: refused

            assertThat(readOrReset(client)).isEqualTo(-1);
        }
        await().atMost(WITHIN).untilAsserted(
                () -> assertThat(web().closes(CloseReason.CONNECT_FAILED)).isEqualTo(1));
        assertThat(web().connectRetries()).isEqualTo(RelayOptions.DEFAULT_CONNECT_TIMEOUTS.size() - 1L);
    }

    private static int readOrReset(TcpTestClient client) {
        try {
            return client.read();
        } catch (IOException e) {
            return -1; // a reset is what a failed connect gives the client
        }
    }
}
