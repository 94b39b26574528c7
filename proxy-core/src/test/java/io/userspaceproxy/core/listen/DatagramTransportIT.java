package io.userspaceproxy.core.listen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteSnapshot;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.testing.ProxyFixture;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPorts;
import io.userspaceproxy.core.testing.TransportLeakCheck;
import io.userspaceproxy.core.testing.UdpEchoBackend;
import io.userspaceproxy.core.testing.UdpTestClient;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * On io_uring, UDP runs on epoll loops of its own ({@link Transport#datagramTransport()}): Netty's io_uring datagram
 * channel keeps native memory of its own per socket, listener or flow (BENCHMARKS.md). TCP stays on io_uring.
 */
@ExtendWith(TransportLeakCheck.class)
@Timeout(30)
class DatagramTransportIT {

    private static final ServicePortName DNS = new ServicePortName("default", "dns", "dns", Protocol.UDP);

    @RegisterExtension
    final ProxyFixture fixture = new ProxyFixture(Transport.IO_URING);

    @Test
    void ioUring_udpListenersAndFlowsOnEpollLoopsOfTheirOwn_tcpOnIoUring() throws Exception {
        assumeTrue(Transport.EPOLL.isAvailable(), () -> "epoll unavailable: " + Transport.EPOLL.unavailabilityCause());
        EventLoopGroup backends = fixture.eventLoops(1);
        ListenerKey udp = ListenerKey.of(Protocol.UDP, TcpPorts.freeAddress("127.0.12.9"));
        ListenerKey tcp = ListenerKey.of(Protocol.TCP, TcpPorts.freeAddress("127.0.12.9"));
        Route dns = Route.of(DNS, FrontendKind.CLUSTER_IP,
                List.of(fixture.add(UdpEchoBackend.start("u", backends, Transport.IO_URING)).endpoint()))
                .withUdpIdleTimeout(Duration.ofSeconds(60));
        Route web = Route.of(ProxyFixture.WEB, FrontendKind.CLUSTER_IP,
                List.of(fixture.add(new TcpEchoServer("t")).endpoint()));

        fixture.proxy().apply(new RouteSnapshot(Map.of(udp, dns, tcp, web)));

        assertThat(fixture.proxy().transport()).isEqualTo(Transport.IO_URING);
        List<Channel> tcpSockets = fixture.proxy().listeners(tcp);
        List<Channel> udpSockets = fixture.proxy().listeners(udp);
        assertThat(tcpSockets).hasSize(2).allMatch(IoUringServerSocketChannel.class::isInstance);
        assertThat(udpSockets).hasSize(2).allMatch(EpollDatagramChannel.class::isInstance);
        Set<EventLoop> tcpLoops = new HashSet<>();
        tcpSockets.forEach(s -> tcpLoops.add(s.eventLoop()));
        assertThat(udpSockets).noneMatch(s -> tcpLoops.contains(s.eventLoop()));

        try (UdpTestClient client = UdpTestClient.bind("127.0.0.1")) {
            assertThat(client.exchange(udp.address(), "ping", Duration.ofSeconds(5)))
                    .map(UdpTestClient.Reply::text).hasValue("u:ping");
        }
        assertThat(fixture.proxy().udpFlows().activeFlows(udp)).isOne();
        assertThat(ProxyFixture.firstLine(tcp)).isEqualTo("t");
    }
}
