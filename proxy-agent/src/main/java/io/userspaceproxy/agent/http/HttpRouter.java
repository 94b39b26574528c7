package io.userspaceproxy.agent.http;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exact-path dispatch of one {@link AgentHttpServer}: 404 for any other path ({@code /healthzfoo} is not
 * {@code /healthz}), 405 with {@code Allow} for any method but GET and HEAD, 500 when a route throws (logged; the
 * server goes on), 400 for a request the codec could not decode. Every answer carries its length and
 * {@code X-Content-Type-Options: nosniff}; HEAD gets the headers of GET without the body.
 */
@Sharable
final class HttpRouter extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger log = LoggerFactory.getLogger(HttpRouter.class);

    private final String name;
    private final Map<String, AgentHttpServer.Route> routes;

    HttpRouter(String name, Map<String, AgentHttpServer.Route> routes) {
        this.name = name;
        this.routes = routes;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean head = HttpMethod.HEAD.equals(request.method());
        FullHttpResponse response = answer(request);
        response.headers().set("X-Content-Type-Options", "nosniff");
        HttpUtil.setContentLength(response, response.content().readableBytes());
        if (head) {
            response.content().clear();
        }
        boolean keepAlive = HttpUtil.isKeepAlive(request) && request.decoderResult().isSuccess();
        HttpUtil.setKeepAlive(response, keepAlive);
        if (keepAlive) {
            ctx.writeAndFlush(response, ctx.voidPromise());
        } else {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private FullHttpResponse answer(FullHttpRequest request) {
        if (!request.decoderResult().isSuccess()) {
            return AgentHttpServer.response(400, AgentHttpServer.TEXT, "400 bad request\n");
        }
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        AgentHttpServer.Route route = routes.get(uri.path());
        if (route == null) {
            return AgentHttpServer.response(404, AgentHttpServer.TEXT, "404 page not found\n");
        }
        if (!HttpMethod.GET.equals(request.method()) && !HttpMethod.HEAD.equals(request.method())) {
            FullHttpResponse refused = AgentHttpServer.response(405, AgentHttpServer.TEXT, "405 method not allowed\n");
            refused.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            return refused;
        }
        try {
            return route.answer(request, uri);
        } catch (Exception e) {
            log.warn("{} server: {} {} failed", name, request.method(), uri.path(), e);
            return AgentHttpServer.response(500, AgentHttpServer.TEXT, "500 internal server error\n");
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("{} server connection {} failed", name, ctx.channel().remoteAddress(), cause);
        ctx.close();
    }
}
