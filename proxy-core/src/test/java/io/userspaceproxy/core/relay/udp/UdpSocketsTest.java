package io.userspaceproxy.core.relay.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class UdpSocketsTest {

    private EpollDatagramChannel channel;

    @BeforeEach
    void setUp() {
        assumeTrue(Epoll.isAvailable(), "epoll is not available here");
        channel = new EpollDatagramChannel();
    }

    @AfterEach
    void tearDown() {
        if (channel != null) {
            channel.unsafe().closeForcibly();
        }
    }

    /**
     * A listener's batch read buffer (four 65,535-byte slots by default) comes from a pool that hands the same
     * memory back, not from a fresh direct buffer per read that the JDK zeroes first.
     */
    @Test
    void listener_batchReadBuffers_comeFromAPoolAndAreReused() {
        new UdpSockets(UdpRelayOptions.DEFAULT).configureListener(channel);
        ByteBufAllocator alloc = channel.config().getAllocator();
        assertThat(alloc).isSameAs(UdpSockets.LISTENER_BUFFERS);

        readBuffer(alloc).release();
        long pooled = UdpSockets.LISTENER_BUFFERS.metric().usedDirectMemory();
        for (int i = 0; i < 100; i++) {
            readBuffer(alloc).release();
        }

        assertThat(pooled).as("the pool keeps a chunk once a buffer is released").isPositive();
        assertThat(UdpSockets.LISTENER_BUFFERS.metric().usedDirectMemory()).as("and takes no more for later reads")
                .isEqualTo(pooled);
    }

    @Test
    void listener_oneDatagramPerRead_keepsTheChannelsAllocator() {
        ByteBufAllocator original = channel.config().getAllocator();
        new UdpSockets(UdpRelayOptions.DEFAULT.withReceiveBatch(1)).configureListener(channel);
        assertThat(channel.config().getAllocator()).isSameAs(original);
    }

    private ByteBuf readBuffer(ByteBufAllocator alloc) {
        RecvByteBufAllocator.Handle handle = channel.config().getRecvByteBufAllocator().newHandle();
        handle.reset(channel.config());
        ByteBuf buf = handle.allocate(alloc);
        assertThat(buf.writableBytes()).isEqualTo(UdpRelayOptions.DEFAULT.receiveBatch()
                * UdpRelayOptions.MAX_DATAGRAM_BYTES);
        return buf;
    }
}
