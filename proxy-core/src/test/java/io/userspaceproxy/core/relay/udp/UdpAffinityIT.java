package io.userspaceproxy.core.relay.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.userspaceproxy.core.listen.Transport;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.model.SessionAffinity;
import io.userspaceproxy.core.testing.UdpEchoBackend;
import io.userspaceproxy.core.testing.UdpRelayHarness;
import io.userspaceproxy.core.testing.UdpTestClient;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * ClientIP session affinity through the UDP relay: loopback source addresses 127.0.0.2, 127.0.0.3, ... stand for
 * distinct client IPs, and a fresh socket per datagram stands for one client IP using many source ports (each a new
 * flow, so each one asks the balancer).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UdpAffinityIT {

    private static final Duration REPLY = Duration.ofSeconds(5);
    private static final ServicePortName SVC = new ServicePortName("default", "sticky", "udp", Protocol.UDP);
    private static final ListenerKey VIP = ListenerKey.of(Protocol.UDP, new InetSocketAddress("127.0.20.2", 0));
    private static final SessionAffinity CLIENT_IP = SessionAffinity.clientIp(Duration.ofMinutes(10));

    @AutoClose
    private UdpRelayHarness proxy;

    private void start(Transport transport) {
        proxy = UdpRelayHarness.start(transport, UdpRelayOptions.DEFAULT);
    }

    private UdpEchoBackend echo(String name) throws InterruptedException {
        return proxy.echo(name);
    }

    private static Route stickyRoute(List<Endpoint> endpoints) {
        return Route.of(SVC, FrontendKind.CLUSTER_IP, endpoints)
                .withAffinity(CLIENT_IP)
                .withUdpIdleTimeout(Duration.ofSeconds(30));
    }

    /**
     * Sends one datagram from a new socket (new source port) on {@code sourceIp}; returns who answered. The socket
     * stays open (in {@code clients}, for the caller to close) so that the kernel cannot give its port to the next
     * one: a reused port would be an existing flow's client, and open no flow.
     */
    private static String answerFrom(List<UdpTestClient> clients, String sourceIp, InetSocketAddress vip,
            String payload) {
        UdpTestClient client = UdpTestClient.bind(sourceIp);
        clients.add(client);
        return client.exchange(vip, payload, REPLY).orElseThrow(() -> new AssertionError("no reply")).backend();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void pick_clientIps_spreadWhileEachIpSticksAcrossSourcePorts(Transport transport) throws Exception {
        start(transport);
        try (UdpEchoBackend ep1 = echo("ep1"); UdpEchoBackend ep2 = echo("ep2"); UdpEchoBackend ep3 = echo("ep3")) {
            proxy.publish(Map.of(VIP, stickyRoute(List.of(ep1.endpoint(), ep2.endpoint(), ep3.endpoint()))));
            InetSocketAddress vip = proxy.bind(VIP);

            List<UdpTestClient> clients = new ArrayList<>();
            Set<String> firstAnswers = new HashSet<>();
            Set<String> sameIpAnswers = new HashSet<>();
            String held;
            try {
                for (int ip = 2; ip <= 7; ip++) {
                    firstAnswers.add(answerFrom(clients, "127.0.0." + ip, vip, "hello"));
                }
                held = answerFrom(clients, "127.0.0.2", vip, "again");
                for (int port = 0; port < 10; port++) {
                    sameIpAnswers.add(answerFrom(clients, "127.0.0.2", vip, "port" + port));
                }
            } finally {
                clients.forEach(UdpTestClient::close);
            }

            assertThat(firstAnswers).containsExactlyInAnyOrder("ep1", "ep2", "ep3");
            assertThat(sameIpAnswers).containsExactly(held);
            assertThat(proxy.counters(SVC).udpFlowsOpened()).isEqualTo(6 + 1 + 10);
            assertThat(proxy.counters(SVC).affinityHits()).isEqualTo(11);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void onBackendFailure_portUnreachable_rebalancesTheClient(Transport transport) throws Exception {
        start(transport);
        Endpoint dead = closedPort();
        try (UdpEchoBackend live = echo("live"); UdpTestClient client = UdpTestClient.bind("127.0.0.5")) {
            proxy.publish(Map.of(VIP, stickyRoute(List.of(dead, live.endpoint()))));
            InetSocketAddress vip = proxy.bind(VIP);
            // Round-robin holds the new client on the first endpoint: the dead one.
            client.send(vip, "first");

            // Its ICMP port unreachable ends the flow and moves the client to the next endpoint.
            await().atMost(REPLY).until(() -> proxy.counters(SVC).connectFailures() == 1);
            assertThat(client.exchange(vip, "second", REPLY).orElseThrow().text()).isEqualTo("live:second");
            assertThat(proxy.affinities().endpointOf(SVC, client.localAddress().getAddress()))
                    .isEqualTo(live.endpoint());
            assertThat(proxy.counters(SVC).udpFlowsOpened()).isEqualTo(2);
        }
    }

    /** A loopback UDP port nothing listens on: bound once to learn a free number, then released. */
    private static Endpoint closedPort() throws Exception {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            return new Endpoint(new InetSocketAddress("127.0.0.1", socket.getLocalPort()));
        }
    }
}
