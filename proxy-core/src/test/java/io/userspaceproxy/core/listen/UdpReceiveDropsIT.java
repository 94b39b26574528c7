package io.userspaceproxy.core.listen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.EventLoopGroup;
import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.relay.udp.UdpRelayOptions;
import io.userspaceproxy.core.testing.ProxyFixture;
import io.userspaceproxy.core.testing.TcpPorts;
import io.userspaceproxy.core.testing.UdpEchoBackend;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A burst that outruns the event loop is dropped by the kernel at the listener's receive buffer, before the proxy
 * sees it: the drop count per listener comes from {@code /proc/self/net/udp}, and with what the relay did receive it
 * accounts for every datagram sent.
 */
@Timeout(30)
class UdpReceiveDropsIT {

    private static final ServicePortName DNS = new ServicePortName("kube-system", "dns", "dns", Protocol.UDP);
    private static final int SENT = 300;

    @RegisterExtension
    final ProxyFixture fixture = new ProxyFixture(Transport.EPOLL);
    private final EventLoopGroup backends = fixture.eventLoops(1);

    @Test
    void burst_whileTheLoopIsBusy_dropsAreCountedAndAccountForEveryDatagramSent() throws Exception {
        UdpEchoBackend echo = fixture.add(UdpEchoBackend.start("echo", backends, Transport.EPOLL));
        // The smallest receive buffer the kernel allows (a few KiB): a burst of 300 KB cannot fit.
        UdpRelayOptions udp = UdpRelayOptions.DEFAULT.withListenerReceiveBuffer(1);
        fixture.start(fixture.options().withIoThreads(1).withUdp(udp), BalancerFactory.ROUND_ROBIN);
        ListenerKey key = ListenerKey.of(Protocol.UDP, TcpPorts.freeAddress("127.0.12.9"));
        Route route = Route.of(DNS, FrontendKind.CLUSTER_IP, List.of(echo.endpoint()))
                .withUdpIdleTimeout(Duration.ofSeconds(60));
        fixture.serve(key, route);
        assertThat(fixture.proxy().udpFlows().receiveDrops()).as("nothing dropped yet").doesNotContainKey(key);

        CountDownLatch busy = new CountDownLatch(1);
        fixture.proxy().listeners(key).get(0).eventLoop().execute(() -> {
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
            long dropped = fixture.proxy().udpFlows().receiveDrops().getOrDefault(key, 0L);
            long relayed = fixture.counters().forServicePort(DNS).udpDatagramsToBackend();
            assertThat(dropped).isPositive();
            assertThat(dropped + relayed).isEqualTo(SENT);
        });
    }
}
