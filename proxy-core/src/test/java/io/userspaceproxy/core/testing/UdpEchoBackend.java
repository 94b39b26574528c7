package io.userspaceproxy.core.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.userspaceproxy.core.listen.Transport;
import io.userspaceproxy.core.model.Endpoint;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A UDP echo server on {@code 127.0.0.1:0} that answers every datagram with {@code name + ":" + payload}, so a test
 * sees which endpoint answered. Records the peers (the proxy's backend sockets) it has heard from.
 */
public final class UdpEchoBackend implements AutoCloseable {

    private final String name;
    private final Channel channel;
    private final AtomicInteger datagrams = new AtomicInteger();
    private final Set<InetSocketAddress> peers = ConcurrentHashMap.newKeySet();

    private UdpEchoBackend(String name, EventLoopGroup group, Transport transport) throws InterruptedException {
        this.name = name;
        byte[] prefix = (name + ":").getBytes(StandardCharsets.US_ASCII);
        this.channel = new Bootstrap()
                .group(group)
                .channelFactory(transport.datagramChannelFactory())
                .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(65_535))
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                        datagrams.incrementAndGet();
                        peers.add(packet.sender());
                        ByteBuf content = packet.content();
                        ByteBuf reply = ctx.alloc().buffer(prefix.length + content.readableBytes())
                                .writeBytes(prefix)
                                .writeBytes(content, content.readerIndex(), content.readableBytes());
                        ctx.writeAndFlush(new DatagramPacket(reply, packet.sender()));
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .sync()
                .channel();
    }

    public static UdpEchoBackend start(String name, EventLoopGroup group, Transport transport)
            throws InterruptedException {
        return new UdpEchoBackend(name, group, transport);
    }

    public String name() {
        return name;
    }

    public Endpoint endpoint() {
        return new Endpoint((InetSocketAddress) channel.localAddress());
    }

    public int datagramsReceived() {
        return datagrams.get();
    }

    /** The distinct source addresses that sent to this backend. */
    public Set<InetSocketAddress> peers() {
        return Set.copyOf(peers);
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }
}
