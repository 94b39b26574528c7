package io.userspaceproxy.core.relay.tcp;

import com.uber.nullaway.annotations.Initializer;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.userspaceproxy.core.metrics.CloseReason;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Cidr;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.ProxyProtocolOptions;
import io.userspaceproxy.core.table.LiveRoute;
import java.net.InetSocketAddress;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of one proxied connection. On accept it routes: one table lookup for its listener, the source
 * range check, one balancer pick; then it hands the connect to {@link BackendConnector}. Once the backend is
 * connected it forwards every frontend read to the backend as the same buffer, flushes once per read loop, and
 * stops reading the backend while the frontend cannot take more (see {@link TcpRelayInitializer} for the
 * backpressure contract). Per-connection state lives in {@link TcpConnection}.
 */
final class TcpFrontendHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(TcpFrontendHandler.class);

    private final TcpListenerContext context;

    private TcpConnection connection;
    /** Set while the connection waits for an endpoint (see {@link HeldConnections}). */
    private HeldConnections.@Nullable Held held;

    TcpFrontendHandler(TcpListenerContext context) {
        this.context = context;
    }

    /** Makes the connection, which every later event of the frontend concerns (an earlier failure finds none). */
    @Initializer
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Channel frontend = ctx.channel();
        LiveRoute route = context.lookupRoute();
        ServicePortCounters counters = route != null ? route.counters() : context.listenerCounters();
        connection = new TcpConnection(frontend, counters, context.idleTimeoutNanos());
        if (route == null) {
            connection.close(CloseReason.NO_ENDPOINTS);
            return;
        }
        if (!context.memoryGuard().admits()) {
            connection.close(CloseReason.MEMORY_REJECTED);
            return;
        }
        if (!(frontend.remoteAddress() instanceof InetSocketAddress remote)) {
            connection.close(CloseReason.FRONTEND_ERROR); // the client is already gone
            return;
        }
        if (route.route().proxyProtocol().mustReadHeader(route.route().frontend(), remote.getAddress())) {
            ProxyHeaderReader.install(ctx, this, connection);
            return;
        }
        route(route, remote, null);
    }

    /**
     * Routes the connection as one from {@code client} to {@code dialled}: the source-range check, one balancer pick,
     * the connect. The frontend's own peer and address, or those a PROXY protocol header named.
     *
     * @param dialled null for the frontend's own local address, read only when a header is to be sent
     */
    void route(LiveRoute route, InetSocketAddress client, @Nullable InetSocketAddress dialled) {
        if (!Cidr.admits(route.route().sourceRanges(), client.getAddress())) {
            connection.close(CloseReason.SOURCE_RANGE_REJECTED);
            return;
        }
        Endpoint first = route.balancer().pick(client.getAddress());
        if (first == null) {
            held = context.connections().held().hold(this, connection, context, route, client, dialled);
            if (held == null) {
                connection.close(CloseReason.NO_ENDPOINTS);
            }
            return;
        }
        held = null;
        ProxyProtocolOptions.Version send = route.route().proxyProtocol().send();
        ProxyHeader header = send == ProxyProtocolOptions.Version.NONE ? null : ProxyHeader.of(send, client,
                dialled != null ? dialled : (InetSocketAddress) connection.frontend().localAddress());
        connection.connect(context, route.route().servicePort(), client, header, first);
        ConnectionAge.limit(connection, route.route().lifecycle());
    }

    /** The route of this handler's listener now; null when it has none. */
    LiveRoute currentRoute() {
        return context.lookupRoute();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel backend = connection.backend();
        if (backend == null) {
            connection.holdUntilConnected(msg);
            return;
        }
        DuplexRelay relay = connection.relay();
        if (msg instanceof ByteBuf buf) {
            relay.onBytesToBackend(buf.readableBytes());
        }
        if (!relay.carry(true, msg)) {
            backend.write(msg, backend.voidPromise());
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        Channel backend = connection.backend();
        if (backend != null && !connection.relay().isSpliced()) {
            backend.flush();
            ReadValve.afterFlush(connection, true, ctx.channel(), backend, context.memoryGuard());
        }
        connection.onReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        connection.relay().onFrontendWritabilityChanged(ctx.channel().isWritable());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            connection.relay().onFrontendInputShutdown();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (held != null) {
            context.connections().held().onFrontendClosed(held);
        }
        connection.relay().onFrontendInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (log.isDebugEnabled()) {
            log.debug("{} frontend failed: {}", ctx.channel(), cause.toString());
        }
        if (connection != null) {
            connection.close(CloseReason.FRONTEND_ERROR);
        } else {
            ctx.close();
        }
    }
}
