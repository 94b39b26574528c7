package io.userspaceproxy.core.relay.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.userspaceproxy.core.relay.DirectMemoryGuard;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The endpoint side of one proxied connection: forwards every backend read to the frontend as the same buffer,
 * flushes once per read loop, and stops reading the frontend while the backend cannot take more (see
 * {@link TcpRelayInitializer}). One instance per connect attempt; only the attempt that connects ever sees a read.
 */
final class TcpBackendHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(TcpBackendHandler.class);

    private final TcpConnection connection;
    private final Channel frontend;
    private final DirectMemoryGuard memoryGuard;
    /** Set when the connection gave this backend up for a retry: its late events no longer concern it. */
    private boolean retired;

    TcpBackendHandler(TcpConnection connection, DirectMemoryGuard memoryGuard) {
        this.connection = connection;
        this.frontend = connection.frontend();
        this.memoryGuard = memoryGuard;
    }

    /** The connection retries on another backend: every later event of {@code backend} is ignored. */
    static void retire(Channel backend) {
        TcpBackendHandler handler = backend.pipeline().get(TcpBackendHandler.class);
        if (handler != null) {
            handler.retired = true;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (connection.isClosed() || retired) {
            ReferenceCountUtil.release(msg);
            return;
        }
        DuplexRelay relay = connection.relay();
        if (msg instanceof ByteBuf buf) {
            relay.onBytesToFrontend(buf.readableBytes());
        }
        if (!relay.carry(false, msg)) {
            frontend.write(msg, frontend.voidPromise());
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (retired) {
            return;
        }
        if (!connection.relay().isSpliced()) {
            frontend.flush();
            ReadValve.afterFlush(connection, false, ctx.channel(), frontend, memoryGuard);
        }
        connection.onReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (retired) {
            return;
        }
        connection.relay().onBackendWritabilityChanged(ctx.channel().isWritable());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            if (!retired) {
                connection.relay().onBackendInputShutdown();
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!retired) {
            connection.relay().onBackendInactive();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (log.isDebugEnabled()) {
            log.debug("{} backend failed{}: {}", ctx.channel(), retired ? " (already given up)" : "",
                    cause.toString());
        }
        if (!retired) {
            connection.onBackendError(cause);
        }
    }
}
