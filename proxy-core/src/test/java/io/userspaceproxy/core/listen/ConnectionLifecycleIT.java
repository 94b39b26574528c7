package io.userspaceproxy.core.listen;

import static io.userspaceproxy.core.testing.ProxyFixture.WEB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.userspaceproxy.core.metrics.CloseReason;
import io.userspaceproxy.core.model.ConnectionLifecycle;
import io.userspaceproxy.core.model.ConnectionLifecycle.Removal;
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
import java.net.SocketException;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What ends a proxied connection early, with real connections on loopback: its endpoint's removal (keep, close,
 * drain, and drain with the endpoint back in time) and the route's maximum connection age.
 */
@ExtendWith(TransportLeakCheck.class)
@Timeout(60)
class ConnectionLifecycleIT {

    @RegisterExtension
    final ProxyFixture fixture = new ProxyFixture();
    private TcpEchoServer a;
    private TcpEchoServer b;
    private ListenerKey key;

    @BeforeEach
    void setUp() {
        a = fixture.add(new TcpEchoServer("a"));
        b = fixture.add(new TcpEchoServer("b"));
        key = ListenerKey.of(Protocol.TCP, TcpPorts.freeAddress("127.0.14.1"));
    }

    private void serve(ConnectionLifecycle lifecycle, TcpEchoServer... endpoints) {
        fixture.serve(key, Route.of(WEB, FrontendKind.CLUSTER_IP,
                Arrays.stream(endpoints).map(TcpEchoServer::endpoint).toList()).withLifecycle(lifecycle));
    }

    /** A client on endpoint a, with a the only endpoint when it connected. */
    private TcpTestClient clientOnA(ConnectionLifecycle lifecycle) throws IOException {
        serve(lifecycle, a);
        TcpTestClient client = fixture.add(TcpTestClient.connect(key.address()));
        assertThat(client.readLine()).isEqualTo("a");
        return client;
    }

    private static boolean relays(TcpTestClient client) {
        try {
            client.writeLine("ping");
            return "ping".equals(client.readLine());
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean ended(TcpTestClient client) {
        try {
            client.readTimeout(Duration.ofMillis(100));
            return client.input().read() < 0;
        } catch (SocketException reset) {
            return true;
        } catch (IOException timedOut) {
            return false;
        }
    }

    private long closes(CloseReason reason) {
        return fixture.web().closes(reason);
    }

    @Test
    void keep_default_theConnectionOutlivesItsEndpointsRemoval() throws Exception {
        TcpTestClient client = clientOnA(ConnectionLifecycle.DEFAULT);

        serve(ConnectionLifecycle.DEFAULT, b);

        assertThat(relays(client)).isTrue();
        assertThat(closes(CloseReason.ENDPOINT_REMOVED)).isZero();
    }

    @Test
    void close_theConnectionIsResetAtOnce_andCounted() throws Exception {
        ConnectionLifecycle close = ConnectionLifecycle.DEFAULT.withRemoval(Removal.CLOSE, Duration.ZERO);
        TcpTestClient client = clientOnA(close);

        serve(close, b);

        await().atMost(Duration.ofSeconds(5)).until(() -> ended(client));
        await().atMost(Duration.ofSeconds(5)).until(() -> closes(CloseReason.ENDPOINT_REMOVED) == 1);
        try (TcpTestClient next = TcpTestClient.connect(key.address())) {
            assertThat(next.readLine()).isEqualTo("b");
        }
    }

    @Test
    void drain_theConnectionWorksDuringTheDrain_andIsClosedAfterIt() throws Exception {
        ConnectionLifecycle drain = ConnectionLifecycle.DEFAULT.withRemoval(Removal.DRAIN, Duration.ofMillis(800));
        TcpTestClient client = clientOnA(drain);

        serve(drain, b);

        assertThat(relays(client)).as("inside the drain").isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> ended(client));
        assertThat(closes(CloseReason.ENDPOINT_REMOVED)).isEqualTo(1);
    }

    @Test
    void drain_endpointBackBeforeItEnds_keepsItsConnection() throws Exception {
        ConnectionLifecycle drain = ConnectionLifecycle.DEFAULT.withRemoval(Removal.DRAIN, Duration.ofMillis(300));
        TcpTestClient client = clientOnA(drain);

        serve(drain, b);
        serve(drain, a, b);

        await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(5)).until(() -> relays(client));
        assertThat(closes(CloseReason.ENDPOINT_REMOVED)).isZero();
    }

    @Test
    void maxAge_theConnectionIsClosedAtItsAgePlusJitter_andCounted() throws Exception {
        ConnectionLifecycle aged = ConnectionLifecycle.DEFAULT.withMaxAge(Duration.ofMillis(400));
        long started = System.nanoTime();
        TcpTestClient client = clientOnA(aged);

        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).until(() -> ended(client));

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(400));
        await().atMost(Duration.ofSeconds(5)).until(() -> closes(CloseReason.MAX_AGE) == 1);
    }
}
