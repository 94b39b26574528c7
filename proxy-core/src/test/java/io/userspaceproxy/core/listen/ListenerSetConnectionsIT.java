package io.userspaceproxy.core.listen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.netty.channel.EventLoopGroup;
import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.relay.ConnectionInfo;
import io.userspaceproxy.core.relay.RelayOptions;
import io.userspaceproxy.core.testing.ProxyFixture;
import io.userspaceproxy.core.testing.TcpBlackholeServer;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPorts;
import io.userspaceproxy.core.testing.TcpTestClient;
import io.userspaceproxy.core.testing.UdpEchoBackend;
import io.userspaceproxy.core.testing.UdpTestClient;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The connection view of a listener set, once per transport: what {@link ListenerSet#connections} lists about live
 * TCP connections and UDP flows, how it bounds the list, and that closed connections leave it.
 */
@ParameterizedClass
@EnumSource(Transport.class)
class ListenerSetConnectionsIT {

    private static final ServicePortName WEB = new ServicePortName("shop", "web", "http", Protocol.TCP);
    private static final ServicePortName DNS = new ServicePortName("kube-system", "dns", "dns", Protocol.UDP);
    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    final ProxyFixture fixture;

    ListenerSetConnectionsIT(Transport transport) {
        this.fixture = new ProxyFixture(transport);
    }

    /** Starts a proxy serving {@code route} on a fresh {@code protocol} VIP listener; returns the listener. */
    private ListenerKey serve(RelayOptions relay, Protocol protocol, Route route) {
        fixture.start(fixture.options().withRelay(relay), BalancerFactory.ROUND_ROBIN);
        ListenerKey key = ListenerKey.of(protocol, TcpPorts.freeAddress("127.0.10.2"));
        fixture.serve(key, route);
        return key;
    }

    private ListenerKey serveTcp(Endpoint... endpoints) {
        return serve(RelayOptions.DEFAULT, Protocol.TCP, Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(endpoints)));
    }

    private static InetSocketAddress localAddress(TcpTestClient client) {
        return (InetSocketAddress) client.socket().getLocalSocketAddress();
    }

    @Test
    @Timeout(30)
    void connections_liveConnection_listedWithAddressesAndBytesThenForgottenOnClose() throws IOException {
        TcpEchoServer echo = fixture.add(new TcpEchoServer("a"));
        ListenerKey vip = serveTcp(echo.endpoint());
        Instant before = Instant.now();

        try (TcpTestClient client = TcpTestClient.connect(vip.address())) {
            assertThat(client.readLine()).isEqualTo("a");
            OutputStream out = client.output();
            out.write(new byte[1000]);
            out.flush();
            assertThat(client.input().readNBytes(1000)).hasSize(1000);

            await().atMost(WAIT).untilAsserted(() -> assertThat(fixture.proxy().connections(10)).singleElement()
                    .satisfies(info -> {
                        assertThat(info.listener()).isEqualTo(vip);
                        assertThat(info.servicePort()).isEqualTo(WEB);
                        assertThat(info.client()).isEqualTo(localAddress(client));
                        assertThat(info.endpoint()).isEqualTo(echo.address());
                        assertThat(info.connected()).isTrue();
                        assertThat(info.bytesToBackend()).isEqualTo(1000);
                        assertThat(info.bytesToFrontend()).isEqualTo(1000 + "a\n".length());
                        assertThat(info.openedAt()).isBetween(before.minusMillis(50), Instant.now());
                    }));
            assertThat(fixture.proxy().connectionCount()).isEqualTo(1);
        }

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(fixture.proxy().connections(10)).isEmpty();
            assertThat(fixture.proxy().connectionCount()).isZero();
        });
    }

    @Test
    @Timeout(30)
    void connections_limitBelowCount_showsTheOldestAndCountsAll() throws IOException {
        TcpEchoServer echo = fixture.add(new TcpEchoServer("a"));
        ListenerKey vip = serveTcp(echo.endpoint());
        List<InetSocketAddress> clients = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            TcpTestClient client = fixture.add(TcpTestClient.connect(vip.address()));
            // Answered, so connected, before the next one connects: the accept order is the age order.
            assertThat(client.readLine()).isEqualTo("a");
            clients.add(localAddress(client));
        }

        List<ConnectionInfo> page = fixture.proxy().connections(2);

        assertThat(page).extracting(ConnectionInfo::client).containsExactly(clients.get(0), clients.get(1));
        assertThat(page.get(0).age()).isGreaterThanOrEqualTo(page.get(1).age());
        assertThat(fixture.proxy().connectionCount()).isEqualTo(3);
        assertThat(fixture.proxy().connections(0)).isEmpty();
        assertThatThrownBy(() -> fixture.proxy().connections(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("limit: -1 (expected: >= 0)");
    }

    @Test
    @Timeout(30)
    void connections_endpointNotAnsweringYet_listedAsConnectingToIt() throws IOException {
        TcpBlackholeServer blackhole = fixture.add(new TcpBlackholeServer());
        ListenerKey vip = serve(RelayOptions.DEFAULT.withConnectTimeouts(List.of(Duration.ofSeconds(3))),
                Protocol.TCP, Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(blackhole.endpoint())));

        try (TcpTestClient client = TcpTestClient.connect(vip.address())) {
            await().atMost(WAIT).untilAsserted(() -> assertThat(fixture.proxy().connections(10)).singleElement()
                    .satisfies(info -> {
                        assertThat(info.client()).isEqualTo(localAddress(client));
                        assertThat(info.endpoint()).isEqualTo(blackhole.address());
                        assertThat(info.connected()).isFalse();
                    }));
        }

        // The client's FIN may be a half-close, so the connection stays until its only connect attempt times out.
        await().atMost(WAIT).untilAsserted(() -> assertThat(fixture.proxy().connectionCount()).isZero());
    }

    @Test
    @Timeout(30)
    void connections_udpFlow_listedWithItsDatagramBytes() throws Exception {
        Transport udp = fixture.options().transport();
        EventLoopGroup backendGroup = fixture.eventLoops(1);
        UdpEchoBackend echo = fixture.add(UdpEchoBackend.start("ep", backendGroup, udp));
        ListenerKey vip = serve(RelayOptions.DEFAULT, Protocol.UDP,
                Route.of(DNS, FrontendKind.CLUSTER_IP, List.of(echo.endpoint())).withUdpIdleTimeout(WAIT));
        UdpTestClient client = fixture.add(UdpTestClient.bind("127.0.0.3"));

        assertThat(client.exchange(vip.address(), "hello", WAIT)).hasValueSatisfying(
                reply -> assertThat(reply.text()).isEqualTo("ep:hello"));

        await().atMost(WAIT).untilAsserted(() -> assertThat(fixture.proxy().connections(10)).singleElement()
                .satisfies(info -> {
                    assertThat(info.listener()).isEqualTo(vip);
                    assertThat(info.servicePort()).isEqualTo(DNS);
                    assertThat(info.client()).isEqualTo(client.localAddress());
                    assertThat(info.endpoint()).isEqualTo(echo.endpoint().address());
                    assertThat(info.bytesToBackend()).isEqualTo("hello".length());
                    assertThat(info.bytesToFrontend()).isEqualTo("ep:hello".length());
                }));
        assertThat(fixture.proxy().connectionCount()).isEqualTo(1);
    }
}
