package io.userspaceproxy.agent.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.userspaceproxy.core.model.IpAddresses;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small HTTP server on Netty's codec that serves a fixed set of exact paths with GET and HEAD: the agent's health
 * and metrics ports. The per-Service health-check ports use the same codec ({@code agent.healthcheck}), so the agent
 * has one HTTP stack.
 *
 * <p>Each server has an event loop of its own, one NIO thread, never one of the data plane's: a scrape of
 * {@code /metrics} or a page of {@code /connections} is computed on it, and while it is, that server's next request
 * waits (the other server does not). Requests are bounded ({@value #MAX_REQUEST_BYTES} bytes, headers included),
 * keep-alive is honoured, and a connection idle for {@value #IDLE_SECONDS} s is closed.
 */
public final class AgentHttpServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AgentHttpServer.class);
    private static final int MAX_REQUEST_BYTES = 16 * 1024;
    private static final int IDLE_SECONDS = 60;
    private static final long BIND_TIMEOUT_MILLIS = 10_000;
    public static final String TEXT = "text/plain; charset=utf-8";
    public static final String JSON = "application/json";

    /** What one path answers. Runs on the server's event loop; it may compute, but must not wait on others. */
    @FunctionalInterface
    public interface Route {

        /**
         * The response to {@code request} (GET or HEAD; for HEAD the server drops the body and keeps its length).
         *
         * @param uri the request's path and decoded query parameters
         */
        FullHttpResponse answer(FullHttpRequest request, QueryStringDecoder uri) throws Exception;
    }

    private final String name;
    private final EventLoopGroup group;
    private final Channel channel;
    private final InetSocketAddress address;

    private AgentHttpServer(String name, EventLoopGroup group, Channel channel) {
        this.name = name;
        this.group = group;
        this.channel = channel;
        this.address = (InetSocketAddress) channel.localAddress();
    }

    /**
     * Binds {@code bindAddress} (port 0 picks a free port) and starts serving {@code routes}, keyed by exact path.
     * Any other path answers 404, any method but GET or HEAD answers 405, and a route that throws answers 500.
     *
     * @param name names the server in thread names, logs and errors, e.g. {@code "healthz"}
     * @throws HttpBindException when the address cannot be bound; nothing is left running
     */
    public static AgentHttpServer start(String name, InetSocketAddress bindAddress, Map<String, Route> routes)
            throws HttpBindException {
        HttpRouter router = new HttpRouter(name, Map.copyOf(routes));
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(name + "-http", true),
                NioIoHandler.newFactory());
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, Boolean.TRUE)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new IdleStateHandler(0, 0, IDLE_SECONDS), new HttpServerCodec(),
                                new HttpServerKeepAliveHandler(), new HttpObjectAggregator(MAX_REQUEST_BYTES), router);
                    }
                });
        ChannelFuture bound = bootstrap.bind(bindAddress).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            Throwable cause = bound.cause();
            throw new HttpBindException(name, bindAddress, cause instanceof IOException io ? io
                    : new IOException(cause == null ? "bind timed out" : cause.toString(), cause));
        }
        AgentHttpServer started = new AgentHttpServer(name, group, bound.channel());
        log.info("{} server listening on {}", name, IpAddresses.format(started.address));
        return started;
    }

    /** The address actually bound: with port 0 requested, the port the kernel picked. */
    public InetSocketAddress address() {
        return address;
    }

    /** Stops listening, closes open connections and stops the server's event loop, waiting a bounded time. */
    @Override
    public void close() {
        channel.close().awaitUninterruptibly(BIND_TIMEOUT_MILLIS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(BIND_TIMEOUT_MILLIS);
        log.info("{} server on {} stopped", name, IpAddresses.format(address));
    }

    /** A complete response with a UTF-8 body of {@code contentType}. */
    public static FullHttpResponse response(int status, String contentType, String body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(status));
        response.content().writeCharSequence(body, StandardCharsets.UTF_8);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        return response;
    }
}
