package io.userspaceproxy.core.listen;

import static io.userspaceproxy.core.testing.ProxyFixture.WEB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.userspaceproxy.core.metrics.CloseReason;
import io.userspaceproxy.core.model.ConnectionLifecycle;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.relay.RelayOptions;
import io.userspaceproxy.core.testing.ProxyFixture;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPorts;
import io.userspaceproxy.core.testing.TcpTestClient;
import io.userspaceproxy.core.testing.TransportLeakCheck;
import java.io.IOException;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code hold-when-empty} with real connections on loopback: a client that connects while its service port has no
 * endpoint is held, what it sends waits, and it gets its whole exchange once an endpoint comes; the per-service-port
 * and node bounds refuse at once; the hold time and a drain reset.
 */
@ExtendWith(TransportLeakCheck.class)
@Timeout(60)
class HoldWhenEmptyIT {

    private static final ConnectionLifecycle HOLD_30S = ConnectionLifecycle.DEFAULT.withHold(Duration.ofSeconds(30),
            ConnectionLifecycle.DEFAULT_HOLD_LIMIT);

    private final ListenerKey key = ListenerKey.of(Protocol.TCP, TcpPorts.freeAddress("127.0.14.2"));

    @RegisterExtension
    final ProxyFixture fixture = new ProxyFixture();

    private void serve(ConnectionLifecycle lifecycle, TcpEchoServer... endpoints) {
        fixture.serve(key, Route.of(WEB, FrontendKind.CLUSTER_IP,
                Arrays.stream(endpoints).map(TcpEchoServer::endpoint).toList()).withLifecycle(lifecycle));
    }

    private TcpTestClient connect() throws IOException {
        return fixture.add(TcpTestClient.connect(key.address()));
    }

    /** Whether a new client is reset or closed at once: already at connect, or at its first read. */
    private boolean newClientRefused() throws IOException {
        TcpTestClient client;
        try {
            client = connect();
        } catch (SocketException reset) {
            return true;
        }
        return refused(client, Duration.ofSeconds(5));
    }

    /** Whether the proxy reset or closed {@code client} within {@code within}; false if it is still open. */
    private static boolean refused(TcpTestClient client, Duration within) {
        try {
            client.readTimeout(within);
            return client.input().read() < 0;
        } catch (SocketException reset) {
            return true;
        } catch (IOException timedOut) {
            return false;
        }
    }

    @Test
    void heldClient_getsItsWholeExchange_onceAnEndpointComes_bytesSentWhileHeldIncluded() throws Exception {
        serve(HOLD_30S);
        TcpTestClient client = connect().writeLine("sent while held");
        await().until(() -> fixture.web().held() == 1);
        assertThat(refused(client, Duration.ofMillis(200))).as("held, not refused").isFalse();

        serve(HOLD_30S, fixture.add(new TcpEchoServer("a")));

        client.readTimeout(Duration.ofSeconds(10));
        assertThat(client.readLine()).isEqualTo("a");
        assertThat(client.readLine()).isEqualTo("sent while held");
        assertThat(client.writeLine("after").readLine()).isEqualTo("after");
        assertThat(fixture.web().held()).isZero();
        assertThat(fixture.web().holdDemand()).isEqualTo(1);
        assertThat(fixture.web().noEndpointRejections()).isZero();
    }

    @Test
    void heldClientThatSentItsRequestAndHalfClosed_stillGetsTheReply() throws Exception {
        serve(HOLD_30S);
        TcpTestClient client = connect().writeLine("request");
        client.shutdownOutput();
        await().until(() -> fixture.web().held() == 1);

        serve(HOLD_30S, fixture.add(new TcpEchoServer("a")));

        client.readTimeout(Duration.ofSeconds(10));
        assertThat(client.readLine()).isEqualTo("a");
        assertThat(client.readLine()).isEqualTo("request");
        assertThat(client.read()).as("the backend's FIN after the client's").isEqualTo(-1);
    }

    @Test
    void threeHeldClients_eachGetsItsOwnExchange() throws Exception {
        serve(HOLD_30S);
        List<TcpTestClient> clients = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            clients.add(connect().writeLine("client " + i));
            int held = i + 1;
            await().until(() -> fixture.web().held() == held);
        }

        serve(HOLD_30S, fixture.add(new TcpEchoServer("a")));

        for (int i = 0; i < 3; i++) {
            assertThat(clients.get(i).readLine()).isEqualTo("a");
            assertThat(clients.get(i).readLine()).isEqualTo("client " + i);
        }
        assertThat(fixture.web().connectionsOpened()).isEqualTo(3);
    }

    @Test
    void withoutTheAnnotation_refusedAtOnce_asBefore() throws Exception {
        serve(ConnectionLifecycle.DEFAULT);

        assertThat(newClientRefused()).isTrue();
        assertThat(fixture.web().noEndpointRejections()).isEqualTo(1);
        assertThat(fixture.web().holdDemand()).isZero();
    }

    @Test
    void pastTheServicePortsHoldLimit_refusedAtOnce() throws Exception {
        serve(ConnectionLifecycle.DEFAULT.withHold(Duration.ofSeconds(30), 2));
        connect();
        connect();
        await().until(() -> fixture.web().held() == 2);

        assertThat(newClientRefused()).isTrue();
        assertThat(fixture.web().held()).isEqualTo(2);
        assertThat(fixture.web().noEndpointRejections()).isEqualTo(1);
    }

    @Test
    void pastTheNodesLimit_refusedAtOnce() throws Exception {
        fixture.start(ListenerOptions.defaults().withRelay(RelayOptions.DEFAULT.withMaxHeldConnections(1)));
        serve(HOLD_30S);
        connect();
        await().until(() -> fixture.web().held() == 1);

        assertThat(newClientRefused()).isTrue();
        assertThat(fixture.proxy().tcpConnections().held().size()).isEqualTo(1);
    }

    @Test
    void holdTimeEnds_clientReset_countedAsHoldTimeout() throws Exception {
        serve(ConnectionLifecycle.DEFAULT.withHold(Duration.ofMillis(300), 10));
        TcpTestClient client = connect().writeLine("nobody home");

        assertThat(refused(client, Duration.ofSeconds(10))).isTrue();
        await().until(() -> fixture.web().closes(CloseReason.HOLD_TIMEOUT) == 1);
        assertThat(fixture.web().held()).isZero();
        assertThat(fixture.proxy().tcpConnections().held().size()).isZero();
    }

    @Test
    void drain_resetsHeldConnectionsAtOnce() throws Exception {
        serve(HOLD_30S);
        TcpTestClient client = connect();
        await().until(() -> fixture.web().held() == 1);

        fixture.proxy().stopAccepting();

        assertThat(refused(client, Duration.ofSeconds(5))).isTrue();
        await().until(() -> fixture.web().held() == 0);
        assertThat(fixture.web().closes(CloseReason.SHUTDOWN)).isEqualTo(1);
    }

    @Test
    void clientGivesUpWhileHeld_itsPlaceIsFreed() throws Exception {
        serve(ConnectionLifecycle.DEFAULT.withHold(Duration.ofSeconds(30), 1));
        TcpTestClient first = connect();
        await().until(() -> fixture.web().held() == 1);

        first.socket().setSoLinger(true, 0);
        first.close();

        await().until(() -> fixture.web().held() == 0);
        connect();
        await().until(() -> fixture.web().held() == 1);
    }
}
