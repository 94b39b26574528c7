package io.userspaceproxy.core.relay.udp;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.EpollDatagramChannelConfig;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.channel.unix.UnixChannel;
import io.netty.channel.uring.IoUringDatagramChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Socket settings of the listener sockets and of every flow's backend socket; applied once per channel, after it is
 * registered and before it binds or connects.
 *
 * <ul>
 *   <li><b>Read buffers</b> hold a whole 65,535-byte datagram (the legacy proxier truncated at 4 KiB). A fixed
 *       allocator, because an adaptive one would shrink after a run of small datagrams and truncate the next big
 *       one.</li>
 *   <li><b>recvmmsg (epoll), listeners only</b>: {@code MAX_DATAGRAM_PAYLOAD_SIZE} = 65,535 with a buffer of
 *       {@code receiveBatch} such slots makes Netty read up to that many datagrams per system call; each is delivered
 *       as a slice of the one buffer, so nothing is copied; the buffer comes from a pool of its own
 *       ({@link #LISTENER_BUFFERS}). A flow's backend socket reads one datagram per call into
 *       a buffer of one slot: sized for a datagram, not for the listener's batch.
 *       <p>Not on io_uring, whose datagram channels serve UDP only where epoll cannot load (see
 *       {@code Transport.datagramTransport()}): there a receive is in the ring, its buffer taken, for as long as the
 *       socket is idle, so a batch would hold {@code receiveBatch × 64 KiB} per listener socket at all times. Netty's
 *       io_uring channel can batch ({@code IoUringChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE}); measured under the
 *       one-flow UDP load it delivered no more (BENCHMARKS.md).</li>
 *   <li><b>UDP_GRO (epoll, Linux 5.0+)</b>: the kernel may hand over a train of equal-sized datagrams of one
 *       sender in one read; Netty splits it back into one packet per datagram, so handlers see no difference.
 *       Tried once per channel until the kernel refuses it, then never again.</li>
 *   <li><b>Listener receive buffer</b>: {@link UdpRelayOptions#listenerReceiveBuffer()}, forced past
 *       {@code rmem_max} where the agent is allowed to (epoll and io_uring; NIO asks within it).</li>
 * </ul>
 * NIO gets one datagram per read. Writes need no socket option: Netty's epoll transport sends a flushed run of
 * datagrams with one {@code sendmmsg}, which is why the relay flushes a listener once per event-loop turn and a backend
 * once per read loop, and a flow's equal-sized datagrams go as one GSO message each run ({@link UdpTrain}).
 */
final class UdpSockets {

    private static final Logger LOG = LoggerFactory.getLogger(UdpSockets.class);
    private static final FixedRecvByteBufAllocator ONE_DATAGRAM =
            new FixedRecvByteBufAllocator(UdpRelayOptions.MAX_DATAGRAM_BYTES);
    /**
     * Where listeners take their batch read buffers from. A batch of 65,535-byte slots (256 KiB by default) is past
     * the largest buffer Netty's adaptive allocator pools, so each read got a new direct buffer that the JDK zeroed
     * and the next GC freed: 38 % of the event loops' time outside the kernel under a one-flow UDP load, and page
     * faults inside it. Chunks of 2 MiB (8 KiB pages, order 8) hold several batches of the largest size; an arena per
     * core; no thread caches, since batches are larger than those keep.
     */
    static final PooledByteBufAllocator LISTENER_BUFFERS = new PooledByteBufAllocator(true, 0,
            Runtime.getRuntime().availableProcessors(), 8192, 8, 0, 0, false);
    /** SO_RCVBUFFORCE: as SO_RCVBUF, past {@code net.core.rmem_max}, for a process with CAP_NET_ADMIN. */
    private static final IntegerUnixChannelOption SO_RCVBUFFORCE = new IntegerUnixChannelOption("SO_RCVBUFFORCE", 1, 33);
    private static volatile boolean groUnsupported;
    private static volatile boolean forceRefused;

    private final int receiveBatch;
    private final int listenerReceiveBuffer;
    private final FixedRecvByteBufAllocator listenerAllocator;

    UdpSockets(UdpRelayOptions options) {
        this.receiveBatch = options.receiveBatch();
        this.listenerReceiveBuffer = options.listenerReceiveBuffer();
        this.listenerAllocator = receiveBatch > 1
                ? new FixedRecvByteBufAllocator(receiveBatch * UdpRelayOptions.MAX_DATAGRAM_BYTES)
                : ONE_DATAGRAM;
    }

    /** A listener socket: batched reads and a receive buffer that absorbs a burst. */
    void configureListener(Channel channel) {
        ChannelConfig config = channel.config();
        if (config instanceof EpollDatagramChannelConfig epoll) {
            if (receiveBatch > 1) {
                epoll.setMaxDatagramPayloadSize(UdpRelayOptions.MAX_DATAGRAM_BYTES);
                epoll.setAllocator(LISTENER_BUFFERS);
            }
            epoll.setRecvByteBufAllocator(listenerAllocator);
            enableGro(epoll);
        } else {
            config.setRecvByteBufAllocator(ONE_DATAGRAM);
        }
        if (listenerReceiveBuffer > 0) {
            setReceiveBuffer(channel);
        }
    }

    /**
     * A flow's backend socket: one datagram per read. On io_uring the connect completes asynchronously, so the
     * channel is made active at registration: the flow's first datagrams are sent, addressed, before it has.
     */
    void configureFlow(Channel channel) {
        channel.config().setRecvByteBufAllocator(ONE_DATAGRAM);
        if (channel.config() instanceof EpollDatagramChannelConfig epoll) {
            enableGro(epoll);
        } else if (channel instanceof IoUringDatagramChannel) {
            channel.config().setOption(ChannelOption.DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION, Boolean.TRUE);
        }
    }

    private void setReceiveBuffer(Channel channel) {
        ChannelConfig config = channel.config();
        if (channel instanceof UnixChannel && !forceRefused) {
            try {
                config.setOption(SO_RCVBUFFORCE, listenerReceiveBuffer);
                return;
            } catch (ChannelException e) {
                forceRefused = true;
                LOG.info("UDP listener receive buffers are capped at net.core.rmem_max (SO_RCVBUFFORCE refused: {});"
                        + " a burst beyond it is dropped by the kernel", e.getCause() == null ? e : e.getCause());
            }
        }
        config.setOption(ChannelOption.SO_RCVBUF, listenerReceiveBuffer);
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
