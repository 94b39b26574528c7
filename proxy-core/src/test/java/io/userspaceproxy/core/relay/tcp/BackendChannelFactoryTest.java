package io.userspaceproxy.core.relay.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BackendChannelFactoryTest {

    private final Channel dualStack = new EmbeddedChannel();
    private final Channel ipv4 = new EmbeddedChannel();
    private final BackendChannelFactory factory = BackendChannelFactory.byFamily(() -> dualStack, () -> ipv4);

    @AfterEach
    void tearDown() {
        dualStack.close();
        ipv4.close();
    }

    @Test
    void byFamily_ipv4Endpoint_getsTheIpv4Channel() {
        assertThat(factory.newChannel(new InetSocketAddress("10.0.0.1", 8080))).isSameAs(ipv4);
    }

    @Test
    void byFamily_ipv6Endpoint_getsTheDualStackChannel() {
        assertThat(factory.newChannel(new InetSocketAddress("fd00::1", 8080))).isSameAs(dualStack);
    }

    @Test
    void byFamily_noEndpointGiven_getsTheDualStackChannel() {
        assertThat(factory.newChannel()).isSameAs(dualStack);
    }
}
