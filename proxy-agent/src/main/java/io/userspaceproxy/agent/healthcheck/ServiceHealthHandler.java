package io.userspaceproxy.agent.healthcheck;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateEvent;
import io.userspaceproxy.agent.http.Json;
import io.userspaceproxy.agent.state.ObjectRef;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers every request on one Service's {@code healthCheckNodePort}, whatever its path or method (load balancers
 * differ in what they ask): 200 when the Service has a ready endpoint on this node and the proxy is healthy, 503
 * otherwise, with kube-proxy's JSON body, so that tooling reading it works unchanged:
 * <pre>{"service": {"namespace": "shop", "name": "web"}, "localEndpoints": 2, "serviceProxyHealthy": true}</pre>
 * A HEAD request gets the same status and headers without the body. Keep-alive is honoured; a malformed request
 * gets 400 and the connection is closed; an idle connection is closed by the server's idle handler.
 *
 * <p>Stateless per connection, hence shared by the connections of one Service; runs on the health-check event
 * loop, never on the data plane's.
 */
@Sharable
final class ServiceHealthHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger log = LoggerFactory.getLogger(ServiceHealthHandler.class);

    private final ObjectRef service;
    private final IntSupplier localEndpoints;
    private final BooleanSupplier proxyHealthy;

    ServiceHealthHandler(ObjectRef service, IntSupplier localEndpoints, BooleanSupplier proxyHealthy) {
        this.service = service;
        this.localEndpoints = localEndpoints;
        this.proxyHealthy = proxyHealthy;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (request.decoderResult().isFailure()) {
            FullHttpResponse bad = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST,
                    Unpooled.EMPTY_BUFFER);
            HttpUtil.setContentLength(bad, 0);
            ctx.writeAndFlush(bad).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        int count = localEndpoints.getAsInt();
        boolean healthy = proxyHealthy.getAsBoolean();
        byte[] body = json(service, count, healthy).getBytes(StandardCharsets.UTF_8);
        boolean head = HttpMethod.HEAD.equals(request.method());
        ByteBuf content = head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                count > 0 && healthy ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, content);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .set("X-Content-Type-Options", "nosniff")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        HttpUtil.setKeepAlive(response, keepAlive);
        if (keepAlive) {
            ctx.writeAndFlush(response, ctx.voidPromise());
        } else {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof IdleStateEvent) {
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("health check connection {} of {} failed", ctx.channel().id(), service, cause);
        ctx.close();
    }

    /** kube-proxy's body, with the same fields and nesting. */
    static String json(ObjectRef service, int localEndpoints, boolean proxyHealthy) {
        return "{\n"
                + "\t\"service\": {\n"
                + "\t\t\"namespace\": " + Json.quote(service.namespace()) + ",\n"
                + "\t\t\"name\": " + Json.quote(service.name()) + "\n"
                + "\t},\n"
                + "\t\"localEndpoints\": " + localEndpoints + ",\n"
                + "\t\"serviceProxyHealthy\": " + proxyHealthy + "\n"
                + "}";
    }
}
