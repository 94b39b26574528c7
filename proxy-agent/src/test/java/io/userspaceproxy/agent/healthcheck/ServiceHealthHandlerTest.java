package io.userspaceproxy.agent.healthcheck;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.userspaceproxy.agent.state.ObjectRef;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** kube-proxy's answer on a healthCheckNodePort, on an embedded channel: status, body, headers, keep-alive. */
class ServiceHealthHandlerTest {

    private static final ObjectRef WEB = ObjectRef.of("shop", "web");

    private final AtomicInteger endpoints = new AtomicInteger(2);
    private final AtomicBoolean healthy = new AtomicBoolean(true);
    private final EmbeddedChannel channel = new EmbeddedChannel(
            new ServiceHealthHandler(WEB, endpoints::get, healthy::get));

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
    }

    @Test
    void get_localEndpointsAndHealthy_200WithKubeProxyJson() {
        FullHttpResponse response = ask(HttpMethod.GET, "/healthz");
        try {
            assertThat(response.status()).isEqualTo(HttpResponseStatus.OK);
            assertThat(response.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("application/json");
            assertThat(response.headers().get("X-Content-Type-Options")).isEqualTo("nosniff");
            String body = response.content().toString(StandardCharsets.UTF_8);
            assertThat(body).isEqualTo("""
                    {
                    \t"service": {
                    \t\t"namespace": "shop",
                    \t\t"name": "web"
                    \t},
                    \t"localEndpoints": 2,
                    \t"serviceProxyHealthy": true
                    }""");
            assertThat(response.headers().getInt(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo(body.length());
        } finally {
            response.release();
        }
    }

    @Test
    void get_noLocalEndpoints_503() {
        endpoints.set(0);

        FullHttpResponse response = ask(HttpMethod.GET, "/");
        try {
            assertThat(response.status()).isEqualTo(HttpResponseStatus.SERVICE_UNAVAILABLE);
            assertThat(response.content().toString(StandardCharsets.UTF_8)).contains("\"localEndpoints\": 0");
        } finally {
            response.release();
        }
    }

    @Test
    void get_proxyUnhealthy_503EvenWithEndpoints() {
        healthy.set(false);

        FullHttpResponse response = ask(HttpMethod.GET, "/anything");
        try {
            assertThat(response.status()).isEqualTo(HttpResponseStatus.SERVICE_UNAVAILABLE);
            assertThat(response.content().toString(StandardCharsets.UTF_8))
                    .contains("\"localEndpoints\": 2", "\"serviceProxyHealthy\": false");
        } finally {
            response.release();
        }
    }

    @Test
    void head_sameStatusAndLengthWithoutBody() {
        FullHttpResponse response = ask(HttpMethod.HEAD, "/healthz");
        try {
            assertThat(response.status()).isEqualTo(HttpResponseStatus.OK);
            assertThat(response.content().readableBytes()).isZero();
            assertThat(response.headers().getInt(HttpHeaderNames.CONTENT_LENGTH)).isPositive();
        } finally {
            response.release();
        }
    }

    @Test
    void connectionClose_answeredThenClosed_keepAliveStaysOpen() {
        DefaultFullHttpRequest close = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        close.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        channel.writeInbound(close);
        FullHttpResponse response = channel.readOutbound();
        response.release();
        assertThat(channel.isOpen()).isFalse();

        EmbeddedChannel keepAlive = new EmbeddedChannel(new ServiceHealthHandler(WEB, endpoints::get, healthy::get));
        keepAlive.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"));
        FullHttpResponse kept = keepAlive.readOutbound();
        kept.release();
        assertThat(keepAlive.isOpen()).isTrue();
        keepAlive.finishAndReleaseAll();
    }

    @Test
    void json_unusualCharacters_escaped() {
        assertThat(ServiceHealthHandler.json(ObjectRef.of("a\"b", "c\\d"), 1, true))
                .contains("\"namespace\": \"a\\\"b\"", "\"name\": \"c\\\\d\"");
    }

    private FullHttpResponse ask(HttpMethod method, String path) {
        DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, path);
        channel.writeInbound(request);
        assertThat(request.refCnt()).as("the request is released").isZero();
        FullHttpResponse response = channel.readOutbound();
        ByteBuf content = response.content();
        assertThat(content.refCnt()).isEqualTo(1);
        return response;
    }
}
