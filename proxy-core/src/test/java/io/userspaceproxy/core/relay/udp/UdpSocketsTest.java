package io.userspaceproxy.core.relay.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.Channel;
import io.netty.channel.MaxMessagesRecvByteBufAllocator;
import io.userspaceproxy.core.testing.UdpTestTransport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The read settings given to listener and flow sockets, on unregistered channels of each transport. */
class UdpSocketsTest {

    private final UdpSockets sockets = new UdpSockets(UdpRelayOptions.DEFAULT);

    /**
     * A burst must be read in one loop turn, so its datagrams leave in one flush (sendmmsg): a fresh
     * FixedRecvByteBufAllocator reads once per turn, which sent every reply of a burst with a sendto of its own.
     */
    @ParameterizedTest
    @EnumSource(UdpTestTransport.class)
    void configure_listenerAndFlow_readSeveralTimesPerLoopTurn(UdpTestTransport transport) throws Exception {
        assumeTrue(transport.isAvailable(), transport + " is not available here");
        Channel listener = transport.datagramChannelClass().getDeclaredConstructor().newInstance();
        Channel flow = transport.datagramChannelClass().getDeclaredConstructor().newInstance();
        try {
            sockets.configureListener(listener);
            sockets.configureFlow(flow);

            assertThat(readsPerLoop(listener)).isEqualTo(UdpSockets.READS_PER_LOOP).isGreaterThan(1);
            assertThat(readsPerLoop(flow)).isEqualTo(UdpSockets.READS_PER_LOOP);
        } finally {
            listener.unsafe().closeForcibly();
            flow.unsafe().closeForcibly();
        }
    }

    private static int readsPerLoop(Channel channel) {
        return ((MaxMessagesRecvByteBufAllocator) channel.config().getRecvByteBufAllocator()).maxMessagesPerRead();
    }
}
