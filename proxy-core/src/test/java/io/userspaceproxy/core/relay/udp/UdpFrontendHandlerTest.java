package io.userspaceproxy.core.relay.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.metrics.CloseReason;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Cidr;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteSnapshot;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.table.RouteTable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The listener handler's refusals and error handling, on an embedded channel: nothing here opens a flow. */
class UdpFrontendHandlerTest {

    static final ServicePortName DNS = new ServicePortName("kube-system", "dns", "dns", Protocol.UDP);
    static final ListenerKey VIP = ListenerKey.of(Protocol.UDP, new InetSocketAddress("127.0.20.53", 53));
    static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.2", 40000);

    final ProxyCounters counters = new ProxyCounters();
    final UdpFlowTable flows = UdpFlowTable.create(UdpRelayOptions.DEFAULT.withMaxFlows(1));
    final RouteTable table = RouteTable.create(BalancerFactory.ROUND_ROBIN, counters);
    final EmbeddedChannel listener = new EmbeddedChannel(flows.listenerHandler(VIP, () -> table.lookup(VIP)));

    @AfterEach
    void tearDown() {
        assertThat(listener.finishAndReleaseAll()).isFalse();
    }

    void publish(Route route) {
        table.apply(new RouteSnapshot(Map.of(VIP, route)));
    }

    ServicePortCounters dnsCounters() {
        return counters.forServicePort(DNS);
    }

    ByteBuf receive() {
        ByteBuf content = Unpooled.directBuffer().writeBytes(new byte[] {1, 2, 3});
        listener.writeInbound(new DatagramPacket(content, VIP.address(), CLIENT));
        return content;
    }

    @Test
    void channelRead_listenerNotInTable_releasesDatagram() {
        ByteBuf content = receive();

        assertThat(content.refCnt()).isZero();
        assertThat(flows.activeFlows()).isZero();
    }

    @Test
    void channelRead_noEndpoints_dropsAndCounts() {
        publish(Route.of(DNS, FrontendKind.CLUSTER_IP, List.of()));

        ByteBuf content = receive();

        assertThat(content.refCnt()).isZero();
        assertThat(dnsCounters().udpDatagramsDropped()).isEqualTo(1);
        assertThat(flows.activeFlows()).isZero();
    }

    @Test
    void channelRead_flowBudgetSpent_refusesAndCounts() {
        publish(Route.of(DNS, FrontendKind.CLUSTER_IP, List.of(Endpoint.of("10.0.0.1", 53))));
        assertThat(flows.tryAcquireFlow()).isTrue();

        ByteBuf content = receive();

        assertThat(content.refCnt()).isZero();
        assertThat(dnsCounters().udpFlowsRejected()).isEqualTo(1);
        assertThat(dnsCounters().udpFlowsOpened()).isZero();
    }

    @Test
    void channelRead_clientOutsideSourceRanges_rejectsAndCounts() {
        publish(Route.of(DNS, FrontendKind.LOAD_BALANCER, List.of(Endpoint.of("10.0.0.1", 53)))
                .withSourceRanges(List.of(Cidr.parse("192.168.0.0/16"))));

        ByteBuf content = receive();

        assertThat(content.refCnt()).isZero();
        assertThat(dnsCounters().sourceRangeRejections()).isEqualTo(1);
        assertThat(dnsCounters().closes(CloseReason.SOURCE_RANGE_REJECTED)).isEqualTo(1);
        assertThat(flows.activeFlows()).isZero();
    }

    @Test
    void exceptionCaught_anyError_countsAndKeepsListenerOpen() {
        publish(Route.of(DNS, FrontendKind.CLUSTER_IP, List.of(Endpoint.of("10.0.0.1", 53))));

        listener.pipeline().fireExceptionCaught(new IOException("sendmsg failed: Operation not permitted"));

        listener.checkException();
        assertThat(listener.isOpen()).isTrue();
        assertThat(dnsCounters().udpDatagramsDropped()).isEqualTo(1);
    }
}
