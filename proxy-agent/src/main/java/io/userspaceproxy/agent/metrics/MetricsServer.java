package io.userspaceproxy.agent.metrics;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.userspaceproxy.agent.http.AgentHttpServer;
import io.userspaceproxy.agent.http.HttpBindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * kube-proxy's metrics port ({@code --metrics-bind-address}, default {@code 127.0.0.1:10249}):
 * <ul>
 *   <li>{@code /metrics}: the registry in the Prometheus text format, or OpenMetrics when the scraper's
 *       {@code Accept} header asks for it (the Prometheus client negotiates, and gzips on request);</li>
 *   <li>{@code /proxyMode}: {@code userspace}, as kube-proxy answers its mode;</li>
 *   <li>{@code /healthz}: {@code ok} while the process serves HTTP (kube-proxy's metrics-port ping);</li>
 *   <li>{@code /configz}: the effective configuration as JSON, when a supplier is given;</li>
 *   <li>{@code /connections}: a JSON view of open connections, when a supplier is given (see
 *       {@link ConnectionsJson}); it may read the request's query parameters;</li>
 *   <li>{@code /endpoints?service=ns/name}: each endpoint of a Service as the data plane sees it, when given (see
 *       {@link EndpointsJson}).</li>
 * </ul>
 * An endpoint whose supplier was not given answers 404. Suppliers are called once per request, on the server's
 * event loop, and must not block; a supplier that throws makes that request answer 500, except that
 * {@code /connections} and {@code /endpoints} answer 400 with the message of an {@link IllegalArgumentException} (a
 * bad query parameter).
 */
public final class MetricsServer implements AutoCloseable {

    /** kube-proxy's default metrics address. */
    public static final InetSocketAddress DEFAULT_ADDRESS = new InetSocketAddress("127.0.0.1", 10249);

    private static final String JSON = AgentHttpServer.JSON;
    private static final String TEXT = AgentHttpServer.TEXT;

    private final AgentHttpServer server;

    private MetricsServer(AgentHttpServer server) {
        this.server = server;
    }

    /** Starts building a server for {@code registry} on {@code bindAddress} (port 0 picks a free port). */
    public static Builder builder(InetSocketAddress bindAddress, PrometheusRegistry registry) {
        return new Builder(bindAddress, registry);
    }

    /** The bound address, with the real port when port 0 was requested. */
    public InetSocketAddress address() {
        return server.address();
    }

    @Override
    public void close() {
        server.close();
    }

    /**
     * The query parameters of {@code rawQuery} ({@code a=1&b=x%20y}), decoded as UTF-8 by Netty's
     * {@link QueryStringDecoder}; the first of repeated names wins, and a name without a value maps to "" (Netty reads
     * {@code =x} as the name {@code x}).
     *
     * @throws IllegalArgumentException on a malformed percent escape
     */
    static Map<String, String> queryParameters(String rawQuery) {
        Map<String, String> first = new HashMap<>();
        if (rawQuery != null) {
            new QueryStringDecoder(rawQuery, StandardCharsets.UTF_8, false).parameters()
                    .forEach((name, values) -> first.put(name, values.get(0)));
        }
        return first;
    }

    /** Answers with what {@code body} makes of the query, or 400 with its message when it rejects the query. */
    private static FullHttpResponse answerQuery(QueryStringDecoder uri, Function<Map<String, String>, String> body) {
        String json;
        try {
            json = body.apply(queryParameters(uri.rawQuery()));
        } catch (IllegalArgumentException e) {
            return AgentHttpServer.response(400, TEXT, e.getMessage() + "\n");
        }
        return AgentHttpServer.response(200, JSON, json);
    }

    /** Collects the optional endpoints, then binds. */
    public static final class Builder {
        private final InetSocketAddress bindAddress;
        private final PrometheusRegistry registry;
        private @Nullable Supplier<String> configz;
        private @Nullable Function<Map<String, String>, String> connections;
        private @Nullable Function<Map<String, String>, String> endpoints;

        private Builder(InetSocketAddress bindAddress, PrometheusRegistry registry) {
            this.bindAddress = Objects.requireNonNull(bindAddress, "bindAddress");
            this.registry = Objects.requireNonNull(registry, "registry");
        }

        /** Serves {@code /configz} with the JSON {@code configz} returns at each request. */
        public Builder configz(Supplier<String> configz) {
            this.configz = Objects.requireNonNull(configz, "configz");
            return this;
        }

        /** Serves {@code /connections} with the JSON {@code connections} returns at each request. */
        public Builder connections(Supplier<String> connections) {
            Objects.requireNonNull(connections, "connections");
            return connections(query -> connections.get());
        }

        /**
         * Serves {@code /connections} with the JSON {@code connections} makes of each request's query parameters;
         * an {@link IllegalArgumentException} it throws answers 400 with its message. {@link ConnectionsJson} is one.
         */
        public Builder connections(Function<Map<String, String>, String> connections) {
            this.connections = Objects.requireNonNull(connections, "connections");
            return this;
        }

        /** Serves {@code /endpoints} as {@link #connections(Function)} serves {@code /connections}. */
        public Builder endpoints(Function<Map<String, String>, String> endpoints) {
            this.endpoints = Objects.requireNonNull(endpoints, "endpoints");
            return this;
        }

        /**
         * Binds and starts serving.
         *
         * @throws HttpBindException naming the address and the reason when it cannot be bound
         */
        public MetricsServer start() throws HttpBindException {
            Map<String, AgentHttpServer.Route> routes = new HashMap<>();
            routes.put("/metrics", new PrometheusRoute(registry));
            routes.put("/proxyMode", (request, uri) -> AgentHttpServer.response(200, TEXT, "userspace"));
            routes.put("/healthz", (request, uri) -> AgentHttpServer.response(200, TEXT, "ok"));
            if (configz != null) {
                Supplier<String> body = configz;
                routes.put("/configz", (request, uri) -> AgentHttpServer.response(200, JSON, body.get()));
            }
            if (connections != null) {
                Function<Map<String, String>, String> body = connections;
                routes.put("/connections", (request, uri) -> answerQuery(uri, body));
            }
            if (endpoints != null) {
                Function<Map<String, String>, String> body = endpoints;
                routes.put("/endpoints", (request, uri) -> answerQuery(uri, body));
            }
            return new MetricsServer(AgentHttpServer.start("metrics", bindAddress, routes));
        }
    }
}
