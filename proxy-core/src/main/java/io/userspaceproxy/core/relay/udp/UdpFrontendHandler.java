package io.userspaceproxy.core.relay.udp;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.userspaceproxy.core.table.LiveRoute;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener socket's handler: finds (or opens) the flow of each client datagram and hands the datagram's content
 * to the flow, which writes it to its backend channel as is, or adds it to its run ({@link UdpTrain}). Per datagram:
 * one flow lookup and one write or one copy into the run; the clock is read once per read loop ({@link LoopClock}).
 * Backends written during a read loop are flushed once at its end, so a burst from one client leaves in one
 * {@code sendmmsg} on epoll, its equal-sized datagrams as one GSO message.
 *
 * <p>The listener never closes because of an error: a failed read or reply costs one datagram, counted, while the
 * socket keeps serving every other client. Not sharable: it carries the listener's flows.
 */
final class UdpFrontendHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(UdpFrontendHandler.class);

    private final UdpListenerFlows flows;
    private final LoopClock clock;
    private final ArrayList<UdpFlow> unflushed = new ArrayList<>();

    UdpFrontendHandler(UdpListenerFlows flows) {
        this.flows = flows;
        this.clock = new LoopClock(flows.owner().ticker());
    }

    /** Runs once the listener channel is registered, before it is bound. */
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        flows.attach(ctx.channel());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof DatagramPacket packet)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        InetSocketAddress client = packet.sender();
        UdpFlow flow = flows.get(client);
        if (flow == null) {
            if (flows.held().isHeld(client)) {
                flows.held().add(client, packet.content());
                packet.release();
                return;
            }
            if ((flow = flows.open(client, packet.content())) == null) {
                packet.release();
                return;
            }
        }
        if (flow.toBackend(packet.content(), clock.now()) && !flow.flushPending) {
            flow.flushPending = true;
            unflushed.add(flow);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        clock.loopEnded();
        ArrayList<UdpFlow> pending = unflushed;
        for (int i = 0, n = pending.size(); i < n; i++) {
            UdpFlow flow = pending.get(i);
            flow.flushPending = false;
            flow.flushBackend();
        }
        pending.clear();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LiveRoute route = flows.currentRoute();
        if (route != null) {
            route.counters().onUdpDatagramDropped();
        }
        LOG.debug("{}: datagram lost on listener {}, listener stays open", flows.key(), ctx.channel(), cause);
    }
}
