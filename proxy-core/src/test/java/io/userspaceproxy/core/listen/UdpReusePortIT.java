package io.userspaceproxy.core.listen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramChannelConfig;
import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.relay.udp.UdpRelayOptions;
import io.userspaceproxy.core.testing.ProxyFixture;
import io.userspaceproxy.core.testing.TcpPorts;
import io.userspaceproxy.core.testing.TransportLeakCheck;
import io.userspaceproxy.core.testing.UdpEchoBackend;
import io.userspaceproxy.core.testing.UdpTestClient;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * UDP on every core (epoll): a listener key gets one SO_REUSEPORT socket per event loop, clients spread over them,
 * each client's datagrams keep to one socket and so to one flow and one endpoint, and the flow bound stays exact
 * across the sockets.
 */
@ExtendWith(TransportLeakCheck.class)
@Timeout(30)
class UdpReusePortIT {

    private static final ServicePortName DNS = new ServicePortName("default", "dns", "dns", Protocol.UDP);
    private static final Duration REPLY = Duration.ofSeconds(2);

    @RegisterExtension
    final ProxyFixture fixture = new ProxyFixture(Transport.EPOLL);
    private final EventLoopGroup backends = fixture.eventLoops(1);

    private ListenerKey serve(UdpRelayOptions udp, UdpEchoBackend... endpoints) {
        fixture.start(fixture.options().withUdp(udp), BalancerFactory.ROUND_ROBIN);
        ListenerKey key = ListenerKey.of(Protocol.UDP, TcpPorts.freeAddress("127.0.12.1"));
        // Flows outlive the test: counting them must not race the 250 ms default idle timeout.
        Route route = Route.of(DNS, FrontendKind.CLUSTER_IP,
                java.util.Arrays.stream(endpoints).map(UdpEchoBackend::endpoint).toList())
                .withUdpIdleTimeout(Duration.ofSeconds(60));
        fixture.serve(key, route);
        return key;
    }

    private UdpEchoBackend backend(String name) throws InterruptedException {
        return fixture.add(UdpEchoBackend.start(name, backends, Transport.EPOLL));
    }

    private ServicePortCounters dns() {
        return fixture.counters().forServicePort(DNS);
    }

    @Test
    void bind_epoll_oneSocketPerEventLoopEachOnItsOwnLoop() throws Exception {
        ListenerKey key = serve(UdpRelayOptions.DEFAULT, backend("a"));

        List<Channel> sockets = fixture.proxy().listeners(key);
        assertThat(sockets).hasSize(2);
        assertThat(sockets.get(0).eventLoop()).isNotSameAs(sockets.get(1).eventLoop());
    }

    @Test
    void flows_manyClients_spreadOverTheLoopsAndEachKeepsToOneEndpoint() throws Exception {
        ListenerKey key = serve(UdpRelayOptions.DEFAULT, backend("a"), backend("b"));
        InetSocketAddress vip = key.address();
        int clients = 64;

        for (int i = 0; i < clients; i++) {
            // Kept open to the end: a client closed here could hand its ephemeral port to the next one, which would
            // then be the same flow (one 4-tuple), and the count below one short.
            UdpTestClient client = fixture.add(UdpTestClient.bind("127.0.0.1"));
            Set<String> answeredBy = new HashSet<>();
            for (int n = 0; n < 3; n++) {
                UdpTestClient.Reply reply = client.exchange(vip, "q" + n, REPLY).orElseThrow();
                assertThat(reply.source()).isEqualTo(vip);
                answeredBy.add(reply.backend());
            }
            assertThat(answeredBy).as("client %d stays on one endpoint", i).hasSize(1);
        }

        List<Integer> perSocket = fixture.proxy().udpFlows().activeFlowsPerSocket(key);
        assertThat(perSocket).hasSize(2);
        assertThat(perSocket.stream().mapToInt(Integer::intValue).sum()).isEqualTo(clients);
        // 64 clients hashed over two sockets: all on one would happen with probability 2^-63.
        assertThat(perSocket).allSatisfy(n -> assertThat(n).isPositive());
        assertThat(dns().udpFlowsOpened()).isEqualTo(clients);
    }

    @Test
    void maxFlows_newClientsOnEverySocketAtOnce_boundStaysExact() throws Exception {
        ListenerKey key = serve(UdpRelayOptions.DEFAULT.withMaxFlows(10), backend("a"));
        int clients = 40;
        List<UdpTestClient> senders = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            senders.add(fixture.add(UdpTestClient.bind("127.0.0.1")));
        }
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (UdpTestClient sender : senders) {
                pool.submit(() -> {
                    start.await();
                    sender.send(key.address(), "hello");
                    return null;
                });
            }
            start.countDown();
        } finally {
            pool.shutdown();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(dns().udpFlowsOpened() + dns().udpFlowsRejected()).isEqualTo(clients);
            assertThat(fixture.proxy().udpFlows().activeFlows(key)).isEqualTo(10);
        });
        assertThat(dns().udpFlowsRejected()).isEqualTo(clients - 10);
    }

    @Test
    void listenerReceiveBuffer_isSizedForABurst() throws Exception {
        int requested = 4 << 20;
        ListenerKey key = serve(UdpRelayOptions.DEFAULT.withListenerReceiveBuffer(requested), backend("a"));

        for (Channel socket : fixture.proxy().listeners(key)) {
            int actual = ((DatagramChannelConfig) socket.config()).getReceiveBufferSize();
            if ("root".equals(System.getProperty("user.name"))) {
                // SO_RCVBUFFORCE passes net.core.rmem_max; the kernel reports twice what was set (bookkeeping).
                assertThat(actual).isGreaterThanOrEqualTo(requested);
            } else {
                assertThat(actual).isPositive();
            }
        }
    }
}
