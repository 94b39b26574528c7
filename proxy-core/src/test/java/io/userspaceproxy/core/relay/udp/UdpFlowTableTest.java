package io.userspaceproxy.core.relay.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class UdpFlowTableTest {

    @Test
    void listenerHandler_tcpKey_isRefusedWithReason() {
        UdpFlowTable flows = UdpFlowTable.create(UdpRelayOptions.DEFAULT);
        ListenerKey tcp = ListenerKey.of(Protocol.TCP, new InetSocketAddress("127.0.20.1", 80));

        assertThatThrownBy(() -> flows.listenerHandler(tcp, () -> null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("key: TCP 127.0.20.1:80 (expected: a UDP listener)");
    }

    @Test
    void tryAcquireFlow_budgetSpent_refusesUntilReleased() {
        UdpFlowTable flows = UdpFlowTable.create(UdpRelayOptions.DEFAULT.withMaxFlows(2));

        assertThat(flows.tryAcquireFlow()).isTrue();
        assertThat(flows.tryAcquireFlow()).isTrue();
        assertThat(flows.tryAcquireFlow()).isFalse();
        flows.releaseFlow();

        assertThat(flows.tryAcquireFlow()).isTrue();
        assertThat(flows.activeFlows()).isEqualTo(2);
    }
}
