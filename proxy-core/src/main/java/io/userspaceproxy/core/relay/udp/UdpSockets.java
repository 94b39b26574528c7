package io.userspaceproxy.core.relay.udp;

import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.EpollDatagramChannelConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Socket settings shared by the listener and every flow's backend channel; applied once per channel, after it is
 * registered and before it binds or connects.
 *
 * <ul>
 *   <li><b>Receive buffers</b> hold a whole 65,535-byte datagram (the legacy proxier truncated at 4 KiB). A fixed
 *       allocator, because an adaptive one would shrink after a run of small datagrams and truncate the next big
 *       one.</li>
 *   <li><b>recvmmsg (epoll)</b>: {@code MAX_DATAGRAM_PAYLOAD_SIZE} = 65,535 with a buffer of {@code receiveBatch}
 *       such slots makes Netty read up to that many datagrams per system call; each is delivered as a slice of the
 *       one buffer, so nothing is copied.</li>
 *   <li><b>UDP_GRO (epoll, Linux 5.0+)</b>: the kernel may hand over a train of equal-sized datagrams of one
 *       sender in one read; Netty splits it back into one packet per datagram, so handlers see no difference.
 *       Tried once per channel until the kernel refuses it, then never again.</li>
 * </ul>
 * NIO gets the receive buffer only. Writes need no tuning: Netty's epoll transport already sends a flushed run of
 * datagrams with one {@code sendmmsg}, which is why the relay flushes once per read loop.
 */
final class UdpSockets {

    private static final Logger LOG = LoggerFactory.getLogger(UdpSockets.class);
    private static final FixedRecvByteBufAllocator ONE_DATAGRAM =
            new FixedRecvByteBufAllocator(UdpRelayOptions.MAX_DATAGRAM_BYTES);
    private static volatile boolean groUnsupported;

    private final int receiveBatch;
    private final FixedRecvByteBufAllocator epollAllocator;

    UdpSockets(UdpRelayOptions options) {
        this.receiveBatch = options.receiveBatch();
        this.epollAllocator = receiveBatch > 1
                ? new FixedRecvByteBufAllocator(receiveBatch * UdpRelayOptions.MAX_DATAGRAM_BYTES)
                : ONE_DATAGRAM;
    }

    void configure(Channel channel) {
        if (channel.config() instanceof EpollDatagramChannelConfig epoll) {
            if (receiveBatch > 1) {
                epoll.setMaxDatagramPayloadSize(UdpRelayOptions.MAX_DATAGRAM_BYTES);
            }
            epoll.setRecvByteBufAllocator(epollAllocator);
            enableGro(epoll);
        } else {
            channel.config().setRecvByteBufAllocator(ONE_DATAGRAM);
        }
    }

    private static void enableGro(EpollDatagramChannelConfig epoll) {
        if (groUnsupported) {
            return;
        }
        try {
            epoll.setUdpGro(true);
        } catch (ChannelException e) {
            groUnsupported = true;
            LOG.debug("UDP_GRO is not supported by this kernel; reading one datagram per slot", e);
        }
    }
}
