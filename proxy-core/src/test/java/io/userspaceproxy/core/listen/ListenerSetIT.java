package io.userspaceproxy.core.listen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import io.netty.channel.Channel;
import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.metrics.CloseReason;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteChanges;
import io.userspaceproxy.core.model.RouteSnapshot;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.testing.ProxyFixture;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPorts;
import io.userspaceproxy.core.testing.TcpTestClient;
import io.userspaceproxy.core.testing.TransportLeakCheck;
import java.io.IOException;
import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link ListenerSet#apply} against real sockets, once per transport: which listeners are bound, kept, closed and
 * retried as snapshots change, and what that means for new and open connections.
 */
@ExtendWith(TransportLeakCheck.class)
@ParameterizedClass
@EnumSource(Transport.class)
class ListenerSetIT {

    private static final ServicePortName WEB = new ServicePortName("default", "web", "http", Protocol.TCP);
    private static final ServicePortName API = new ServicePortName("default", "api", "", Protocol.TCP);
    private static final ServicePortName DNS = new ServicePortName("kube-system", "dns", "dns", Protocol.UDP);

    @RegisterExtension
    final ProxyFixture fixture;
    private TcpEchoServer a;
    private TcpEchoServer b;

    ListenerSetIT(Transport transport) {
        this.fixture = new ProxyFixture(transport);
    }

    @BeforeEach
    void setUp() {
        fixture.start(fixture.options(), BalancerFactory.ROUND_ROBIN);
        a = fixture.add(new TcpEchoServer("a"));
        b = fixture.add(new TcpEchoServer("b"));
    }

    private static ListenerKey tcpKey(String vip) {
        return ListenerKey.of(Protocol.TCP, TcpPorts.freeAddress(vip));
    }

    private static Route route(ServicePortName servicePort, Endpoint... endpoints) {
        return Route.of(servicePort, FrontendKind.CLUSTER_IP, List.of(endpoints));
    }

    private static RouteSnapshot snapshot(Object... keysAndRoutes) {
        Map<ListenerKey, Route> routes = new LinkedHashMap<>();
        for (int i = 0; i < keysAndRoutes.length; i += 2) {
            routes.put((ListenerKey) keysAndRoutes[i], (Route) keysAndRoutes[i + 1]);
        }
        return new RouteSnapshot(routes);
    }

    /** An open connection through the proxy still relays: it echoes a fresh line. */
    private static void assertStillRelays(TcpTestClient client) throws IOException {
        client.writeLine("ping");
        assertThat(client.readLine()).isEqualTo("ping");
    }

    /**
     * Nothing listens on {@code address} any more. Awaited, because on NIO the JDK closes a listening socket that is
     * registered with a selector only at that selector's next select, a moment after the close completed.
     */
    private static void assertRefused(InetSocketAddress address) {
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            try (TcpTestClient unexpected = TcpTestClient.connect(address)) {
                fail("connected to %s: %s", address, unexpected.socket());
            } catch (ConnectException expected) {
                // refused: the listener is gone
            }
        });
    }

    private static String firstLineFrom(InetSocketAddress address) throws IOException {
        try (TcpTestClient client = TcpTestClient.connect(address)) {
            return client.readLine();
        }
    }

    @Test
    @Timeout(30)
    void apply_endpointsOnlyChange_reroutesNewConnectionsWithoutRebindingOrBreakingOpenOnes() throws IOException {
        ListenerKey key = tcpKey("127.0.10.2");
        fixture.proxy().apply(snapshot(key, route(WEB, a.endpoint())));
        List<Channel> listenerBefore = fixture.proxy().listeners(key);

        try (TcpTestClient open = TcpTestClient.connect(key.address())) {
            assertThat(open.readLine()).isEqualTo("a");

            ApplyResult result = fixture.proxy().apply(snapshot(key, route(WEB, b.endpoint())));

            assertThat(result.diff().routeChanged()).containsExactly(key);
            assertThat(result.bound()).isEmpty();
            assertThat(result.closed()).isEmpty();
            assertThat(fixture.proxy().listeners(key)).containsExactlyElementsOf(listenerBefore);
            assertThat(listenerBefore).allMatch(Channel::isActive);
            assertThat(firstLineFrom(key.address())).isEqualTo("b");
            assertStillRelays(open);
        }
    }

    @Test
    @Timeout(30)
    void apply_servicePortRemoved_closesItsListenerWhileOpenConnectionsContinue() throws IOException {
        ListenerKey web = tcpKey("127.0.10.3");
        ListenerKey api = tcpKey("127.0.10.3");
        fixture.proxy().apply(snapshot(web, route(WEB, a.endpoint()), api, route(API, b.endpoint())));
        List<Channel> apiListener = fixture.proxy().listeners(api);

        try (TcpTestClient open = TcpTestClient.connect(web.address())) {
            assertThat(open.readLine()).isEqualTo("a");

            ApplyResult result = fixture.proxy().apply(snapshot(api, route(API, b.endpoint())));

            assertThat(result.closed()).containsExactly(web);
            assertThat(result.diff().removed()).containsExactly(web);
            assertThat(fixture.proxy().boundKeys()).containsExactly(api);
            assertThat(fixture.proxy().listeners(api)).containsExactlyElementsOf(apiListener);
            assertRefused(web.address());
            assertStillRelays(open);
        }
    }

    @Test
    @Timeout(30)
    void apply_addressInUse_failsThatListenerOnlyAndBindsItOnAnyLaterApply() throws IOException {
        ListenerKey free = tcpKey("127.0.10.4");
        ListenerKey taken = tcpKey("127.0.10.5");
        RouteSnapshot desired = snapshot(free, route(WEB, a.endpoint()), taken, route(API, b.endpoint()));
        ApplyResult first;
        try (ServerSocket squatter = new ServerSocket(taken.address().getPort(), 1, taken.address().getAddress())) {
            first = fixture.proxy().apply(desired);
        }

        assertThat(first.bound()).containsExactly(free);
        assertThat(first.bindFailures()).containsOnlyKeys(taken);
        assertThat(first.bindFailures().get(taken)).hasMessageContaining("Address already in use");
        assertThat(first.isComplete()).isFalse();
        assertThat(fixture.counters().bindFailures()).isEqualTo(1);
        assertThat(firstLineFrom(free.address())).isEqualTo("a");
        List<Channel> freeListener = fixture.proxy().listeners(free);

        ApplyResult second = fixture.proxy().apply(RouteChanges.NONE);

        assertThat(second.bound()).containsExactly(taken);
        assertThat(second.bindFailures()).isEmpty();
        assertThat(second.isComplete()).isTrue();
        assertThat(fixture.proxy().boundKeys()).containsExactlyInAnyOrder(free, taken);
        assertThat(fixture.proxy().listeners(free)).containsExactlyElementsOf(freeListener);
        assertThat(firstLineFrom(taken.address())).isEqualTo("b");
        assertThat(fixture.counters().bindFailures()).isEqualTo(1);
    }

    @Test
    @Timeout(30)
    void apply_tcpAndUdpOnSamePort_bindsBothIndependently() throws Exception {
        ListenerKey tcp = tcpKey("127.0.10.6");
        ListenerKey udp = ListenerKey.of(Protocol.UDP, tcp.address());
        try (DatagramSocket udpBackend = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
                DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            Thread echo = new Thread(() -> echoOnce(udpBackend), "udp-echo");
            echo.setDaemon(true);
            echo.start();
            Endpoint udpEndpoint = new Endpoint((InetSocketAddress) udpBackend.getLocalSocketAddress());

            ApplyResult result = fixture.proxy().apply(snapshot(tcp, route(WEB, a.endpoint()), udp, route(DNS, udpEndpoint)));

            assertThat(result.bound()).containsExactlyInAnyOrder(tcp, udp);
            assertThat(result.skipped()).isEmpty();
            assertThat(firstLineFrom(tcp.address())).isEqualTo("a");
            byte[] query = "who".getBytes(StandardCharsets.UTF_8);
            client.setSoTimeout(5000);
            client.send(new DatagramPacket(query, query.length, udp.address()));
            DatagramPacket reply = new DatagramPacket(new byte[64], 64);
            client.receive(reply);
            assertThat(new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8)).isEqualTo("udp:who");
            assertThat(reply.getSocketAddress()).isEqualTo(udp.address());
        }
    }

    private static void echoOnce(DatagramSocket socket) {
        try {
            DatagramPacket in = new DatagramPacket(new byte[64], 64);
            socket.receive(in);
            byte[] out = ("udp:" + new String(in.getData(), 0, in.getLength(), StandardCharsets.UTF_8))
                    .getBytes(StandardCharsets.UTF_8);
            socket.send(new DatagramPacket(out, out.length, in.getSocketAddress()));
        } catch (IOException e) {
            // The socket closed at the end of the test: nothing to echo.
        }
    }

    @Test
    @Timeout(30)
    void stopAccepting_openConnection_refusesNewClientsButKeepsRelaying() throws IOException {
        ListenerKey key = tcpKey("127.0.10.7");
        fixture.proxy().apply(snapshot(key, route(WEB, a.endpoint())));

        try (TcpTestClient open = TcpTestClient.connect(key.address())) {
            assertThat(open.readLine()).isEqualTo("a");

            fixture.proxy().stopAccepting();

            assertThat(fixture.proxy().boundKeys()).isEmpty();
            assertRefused(key.address());
            assertStillRelays(open);
            assertThat(fixture.proxy().apply(snapshot(key, route(WEB, b.endpoint()))).skipped()).containsExactly(key);
            assertThat(fixture.proxy().boundKeys()).isEmpty();
        }
    }

    @Test
    @Timeout(30)
    void close_openConnection_isClosedWithTheEventLoops() throws IOException {
        ListenerKey key = tcpKey("127.0.10.8");
        fixture.proxy().apply(snapshot(key, route(WEB, a.endpoint())));

        try (TcpTestClient open = TcpTestClient.connect(key.address())) {
            assertThat(open.readLine()).isEqualTo("a");

            fixture.proxy().close();

            assertThat(open.read()).isEqualTo(-1);
            assertThat(fixture.counters().forServicePort(WEB).closes(CloseReason.SHUTDOWN)).isEqualTo(1);
            assertThat(fixture.counters().forServicePort(WEB).connectionsActive()).isZero();
            assertThatThrownBy(() -> fixture.proxy().apply(RouteSnapshot.EMPTY)).isInstanceOf(IllegalStateException.class);
        }
    }
}
