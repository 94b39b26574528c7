package io.userspaceproxy.agent.metrics;

import io.netty.buffer.ByteBufOutputStream;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.prometheus.metrics.exporter.common.PrometheusHttpExchange;
import io.prometheus.metrics.exporter.common.PrometheusHttpRequest;
import io.prometheus.metrics.exporter.common.PrometheusHttpResponse;
import io.prometheus.metrics.exporter.common.PrometheusScrapeHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.userspaceproxy.agent.http.AgentHttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * {@code /metrics} on the agent's Netty server, answered by the Prometheus client's own scrape handler: it
 * negotiates the format from {@code Accept} (Prometheus text, OpenMetrics, protobuf), gzips when asked, and
 * filters by {@code name[]}. This class only carries a Netty request in and the handler's bytes out.
 */
final class PrometheusRoute implements AgentHttpServer.Route {

    private final PrometheusScrapeHandler handler;

    PrometheusRoute(PrometheusRegistry registry) {
        this.handler = new PrometheusScrapeHandler(registry);
    }

    @Override
    public FullHttpResponse answer(FullHttpRequest request, QueryStringDecoder uri) throws IOException {
        Exchange exchange = new Exchange(request, uri);
        try {
            handler.handleRequest(exchange);
        } catch (IOException | RuntimeException e) {
            exchange.response.release();
            throw e;
        }
        return exchange.response;
    }

    /** One scrape: the request as the handler reads it, and the response it writes. */
    private static final class Exchange implements PrometheusHttpExchange, PrometheusHttpRequest,
            PrometheusHttpResponse {

        private final FullHttpRequest request;
        private final QueryStringDecoder uri;
        final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);

        Exchange(FullHttpRequest request, QueryStringDecoder uri) {
            this.request = request;
            this.uri = uri;
        }

        @Override
        public PrometheusHttpRequest getRequest() {
            return this;
        }

        @Override
        public PrometheusHttpResponse getResponse() {
            return this;
        }

        @Override
        public String getQueryString() {
            return uri.rawQuery();
        }

        @Override
        public Enumeration<String> getHeaders(String name) {
            return Collections.enumeration(request.headers().getAll(name));
        }

        @Override
        public String getMethod() {
            return request.method().name();
        }

        @Override
        public String getRequestPath() {
            return uri.path();
        }

        @Override
        public String @Nullable [] getParameterValues(String name) {
            List<String> values = uri.parameters().get(name);
            return values == null ? null : values.toArray(new String[0]);
        }

        @Override
        public void setHeader(String name, String value) {
            response.headers().set(name, value);
        }

        @Override
        public OutputStream sendHeadersAndGetBody(int statusCode, int contentLength) {
            response.setStatus(HttpResponseStatus.valueOf(statusCode));
            return new ByteBufOutputStream(response.content());
        }

        @Override
        public void handleException(IOException e) throws IOException {
            throw e;
        }

        @Override
        public void handleException(RuntimeException e) {
            throw e;
        }

        @Override
        public void close() {
            // The response goes out when the route returns.
        }
    }
}
