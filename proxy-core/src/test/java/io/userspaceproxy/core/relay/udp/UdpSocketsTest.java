package io.userspaceproxy.core.relay.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.socket.DatagramChannel;
import io.userspaceproxy.core.listen.Transport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class UdpSocketsTest {

    private DatagramChannel channel;

    @AfterEach
    void tearDown() {
        if (channel != null) {
            channel.unsafe().closeForcibly();
        }
    }

    private DatagramChannel open(Transport transport) {
        assumeTrue(transport.isAvailable(), () -> transport + " is not available here");
        channel = transport.datagramChannelFactory().newChannel();
        return channel;
    }

    /**
     * A listener's batch read buffer (four 65,535-byte slots by default) comes from a pool that hands the same
     * memory back, not from a fresh direct buffer per read that the JDK zeroes first.
     */
    @Test
    void listener_epoll_batchReadBuffers_comeFromAPoolAndAreReused() {
        new UdpSockets(UdpRelayOptions.DEFAULT).configureListener(open(Transport.EPOLL));
        ByteBufAllocator alloc = channel.config().getAllocator();
        assertThat(alloc).isSameAs(UdpSockets.LISTENER_BUFFERS);

        readBuffer(alloc, UdpRelayOptions.DEFAULT.receiveBatch()).release();
        long pooled = UdpSockets.LISTENER_BUFFERS.metric().usedDirectMemory();
        for (int i = 0; i < 100; i++) {
            readBuffer(alloc, UdpRelayOptions.DEFAULT.receiveBatch()).release();
        }

        assertThat(pooled).as("the pool keeps a chunk once a buffer is released").isPositive();
        assertThat(UdpSockets.LISTENER_BUFFERS.metric().usedDirectMemory()).as("and takes no more for later reads")
                .isEqualTo(pooled);
    }

    @Test
    void listener_epoll_oneDatagramPerRead_keepsTheChannelsAllocator() {
        ByteBufAllocator original = open(Transport.EPOLL).config().getAllocator();
        new UdpSockets(UdpRelayOptions.DEFAULT.withReceiveBatch(1)).configureListener(channel);
        assertThat(channel.config().getAllocator()).isSameAs(original);
    }

    /** Its receive waits in the ring with its buffer for as long as the socket is idle: one datagram's worth. */
    @Test
    void listener_ioUring_readsOneDatagramPerReceive() {
        ByteBufAllocator original = open(Transport.IO_URING).config().getAllocator();
        new UdpSockets(UdpRelayOptions.DEFAULT).configureListener(channel);

        assertThat(channel.config().getAllocator()).isSameAs(original);
        readBuffer(original, 1).release();
    }

    /**
     * As root (CI), SO_RCVBUFFORCE passes net.core.rmem_max: asked for twice that, the socket gets it (the kernel
     * reports twice what was set), where SO_RCVBUF alone would stop at rmem_max.
     */
    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"EPOLL", "IO_URING"})
    void listener_receiveBuffer_isForcedPastRmemMax(Transport transport) throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")), "forcing needs CAP_NET_ADMIN");
        // Files.readString stops at the first byte of a procfs file here, which reports its size as 0.
        long rmemMax = Long.parseLong(Files.readAllLines(Path.of("/proc/sys/net/core/rmem_max")).get(0).trim());
        int asked = (int) Math.min(2 * rmemMax, 256 << 20);
        assumeTrue(asked > rmemMax, "rmem_max is past what a test should ask for: " + rmemMax);

        new UdpSockets(UdpRelayOptions.DEFAULT.withListenerReceiveBuffer(asked)).configureListener(open(transport));

        assertThat(channel.config().getOption(ChannelOption.SO_RCVBUF)).isEqualTo(2 * asked);
    }

    private ByteBuf readBuffer(ByteBufAllocator alloc, int datagrams) {
        RecvByteBufAllocator.Handle handle = channel.config().getRecvByteBufAllocator().newHandle();
        handle.reset(channel.config());
        ByteBuf buf = handle.allocate(alloc);
        assertThat(buf.writableBytes()).isEqualTo(datagrams * UdpRelayOptions.MAX_DATAGRAM_BYTES);
        return buf;
    }
}
