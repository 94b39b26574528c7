package io.userspaceproxy.core.listen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.EventLoopGroup;
import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteSnapshot;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.relay.RelayOptions;
import io.userspaceproxy.core.relay.udp.UdpRelayOptions;
import io.userspaceproxy.core.testing.Closer;
import io.userspaceproxy.core.testing.TcpPorts;
import io.userspaceproxy.core.testing.UdpEchoBackend;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A burst that outruns the event loop is dropped by the kernel at the listener's receive buffer, before the proxy
 * sees it: the drop count per listener comes from {@code /proc/self/net/udp}, and with what the relay did receive it
 * accounts for every datagram sent.
 */
@Timeout(30)
class UdpReceiveDropsIT {

    private static final ServicePortName DNS = new ServicePortName("kube-system", "dns", "dns", Protocol.UDP);
    private static final int SENT = 300;

    private final Closer resources = new Closer();
    private final ProxyCounters counters = new ProxyCounters();
    private EventLoopGroup backends;
    private ListenerSet proxy;

    @BeforeEach
    void setUp() {
        assumeTrue(Transport.EPOLL.isAvailable(), () -> "epoll unavailable: " + Transport.EPOLL.unavailabilityCause());
        backends = Transport.EPOLL.newEventLoopGroup(1);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        resources.close();
        backends.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void burst_whileTheLoopIsBusy_dropsAreCountedAndAccountForEveryDatagramSent() throws Exception {
        UdpEchoBackend echo = resources.add(UdpEchoBackend.start("echo", backends, Transport.EPOLL));
        // The smallest receive buffer the kernel allows (a few KiB): a burst of 300 KB cannot fit.
        UdpRelayOptions udp = UdpRelayOptions.DEFAULT.withListenerReceiveBuffer(1);
        proxy = new ListenerSet(new ListenerOptions(Transport.EPOLL, 1, RelayOptions.DEFAULT, Duration.ofSeconds(5), udp),
                BalancerFactory.ROUND_ROBIN, counters);
        ListenerKey key = ListenerKey.of(Protocol.UDP, TcpPorts.freeAddress("127.0.12.9"));
        Route route = Route.of(DNS, FrontendKind.CLUSTER_IP, List.of(echo.endpoint()))
                .withUdpIdleTimeout(Duration.ofSeconds(60));
        proxy.apply(new RouteSnapshot(Map.of(key, route)));
        assertThat(proxy.udpFlows().receiveDrops()).as("nothing dropped yet").doesNotContainKey(key);

        CountDownLatch busy = new CountDownLatch(1);
        proxy.listeners(key).get(0).eventLoop().execute(() -> {
            try {
                busy.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try (DatagramSocket client = new DatagramSocket()) {
            byte[] payload = new byte[1000];
            for (int i = 0; i < SENT; i++) {
                client.send(new DatagramPacket(payload, payload.length, key.address()));
            }
        } finally {
            busy.countDown();
        }

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            long dropped = proxy.udpFlows().receiveDrops().getOrDefault(key, 0L);
            long relayed = counters.forServicePort(DNS).udpDatagramsToBackend();
            assertThat(dropped).isPositive();
            assertThat(dropped + relayed).isEqualTo(SENT);
        });
    }
}
