package io.userspaceproxy.core.relay.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class UdpRelayOptionsTest {

    @Test
    void new_zeroFlows_isRefusedWithReason() {
        assertThatThrownBy(() -> UdpRelayOptions.DEFAULT.withMaxFlows(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxFlows: 0 (expected: > 0)");
    }

    @Test
    void new_receiveBatchOutOfRange_isRefusedWithReason() {
        assertThatThrownBy(() -> UdpRelayOptions.DEFAULT.withReceiveBatch(17))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("receiveBatch: 17 (expected: 1..16)");
    }

    @Test
    void default_boundsFlowsAt65536() {
        assertThat(UdpRelayOptions.DEFAULT.maxFlows()).isEqualTo(65_536);
    }
}
