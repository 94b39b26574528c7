package io.userspaceproxy.core.relay.tcp;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.userspaceproxy.core.metrics.CloseReason;
import io.userspaceproxy.core.model.IpAddresses;
import io.userspaceproxy.core.table.LiveRoute;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the PROXY protocol header a trusted client (a load balancer in front of the node) must start with, before the
 * connection is routed: the client the header names is the one source ranges, ClientIP affinity, the connection view
 * and any header sent on then see. Netty's {@link HAProxyMessageDecoder} decodes v1 and v2 (its TLVs bounded to
 * {@value #MAX_TLV_BYTES} bytes); whatever the client sent after the header stays queued for the backend, in order.
 * A {@code LOCAL} header (the balancer's own health check) leaves the connection its own peer. A malformed header,
 * data that is not one, a header that names no TCP client, or nothing within
 * {@value #TIMEOUT_SECONDS} s closes that connection alone, counted as
 * {@link CloseReason#PROXY_PROTOCOL_REJECTED}. Installed per connection, only for the clients that must send one.
 */
final class ProxyHeaderReader extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ProxyHeaderReader.class);
    static final int MAX_TLV_BYTES = 1024;
    static final long TIMEOUT_SECONDS = 5;

    private final TcpFrontendHandler frontend;
    private final TcpConnection connection;
    private final Future<?> timeout;
    private boolean done;

    private ProxyHeaderReader(TcpFrontendHandler frontend, TcpConnection connection, EventExecutor executor) {
        this.frontend = frontend;
        this.connection = connection;
        this.timeout = executor.schedule(() -> reject("no header within " + TIMEOUT_SECONDS + " s"), TIMEOUT_SECONDS,
                TimeUnit.SECONDS);
    }

    /** Puts a decoder and a reader in front of {@code frontendCtx}'s handler and starts reading the header. */
    static void install(ChannelHandlerContext frontendCtx, TcpFrontendHandler frontend, TcpConnection connection) {
        ChannelPipeline pipeline = frontendCtx.pipeline();
        pipeline.addBefore(frontendCtx.name(), null, new HAProxyMessageDecoder(MAX_TLV_BYTES));
        pipeline.addBefore(frontendCtx.name(), null, new ProxyHeaderReader(frontend, connection,
                frontendCtx.executor()));
        frontendCtx.channel().config().setAutoRead(true);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HAProxyMessage header)) {
            ctx.fireChannelRead(msg); // bytes after the header, passed on by the decoder as it leaves
            return;
        }
        try {
            onHeader(ctx, header);
        } finally {
            header.release();
        }
    }

    private void onHeader(ChannelHandlerContext ctx, HAProxyMessage header) {
        done = true;
        timeout.cancel(false);
        ctx.pipeline().remove(this);
        ctx.channel().config().setAutoRead(false); // the connection reads again once its backend is connected
        LiveRoute route = frontend.currentRoute();
        if (route == null) {
            connection.close(CloseReason.NO_ENDPOINTS);
            return;
        }
        if (header.command() == HAProxyCommand.LOCAL) {
            // The load balancer's own connection (a health check): it speaks for itself.
            frontend.route(route, (InetSocketAddress) ctx.channel().remoteAddress(), null);
            return;
        }
        HAProxyProxiedProtocol protocol = header.proxiedProtocol();
        if (protocol != HAProxyProxiedProtocol.TCP4 && protocol != HAProxyProxiedProtocol.TCP6) {
            reject(header.command() + " " + protocol + " names no TCP client");
            return;
        }
        InetSocketAddress client = new InetSocketAddress(IpAddresses.parse(header.sourceAddress()),
                header.sourcePort());
        InetSocketAddress dialled = new InetSocketAddress(IpAddresses.parse(header.destinationAddress()),
                header.destinationPort());
        frontend.route(route, client, dialled);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof DecoderException && !done) {
            reject(Objects.toString(cause.getMessage(), cause.toString()));
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        timeout.cancel(false);
        ctx.fireChannelInactive();
    }

    private void reject(String why) {
        done = true;
        timeout.cancel(false);
        if (log.isDebugEnabled()) {
            log.debug("{} PROXY protocol header refused: {}", connection.frontend(), why);
        }
        connection.close(CloseReason.PROXY_PROTOCOL_REJECTED);
    }
}
