package io.userspaceproxy.core.relay.udp;

import com.github.benmanes.caffeine.cache.Ticker;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;

/**
 * One flow's backend channel handler: relays endpoint replies to the client through the listener socket and flushes
 * the listener once per read loop. Its channel is connected, so the kernel delivers only the endpoint's datagrams.
 */
final class UdpBackendHandler extends ChannelInboundHandlerAdapter {

    private final UdpFlow flow;
    private final LoopClock clock;

    UdpBackendHandler(UdpFlow flow, Ticker ticker) {
        this.flow = flow;
        this.clock = new LoopClock(ticker);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof DatagramPacket reply) {
            flow.toFrontend(reply, clock.now());
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        clock.loopEnded();
        flow.flushFrontend();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        flow.onBackendFailure(cause);
    }
}
