package io.userspaceproxy.agent.metrics;

import com.sun.net.httpserver.HttpHandler;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.userspaceproxy.agent.http.AgentHttpServer;
import io.userspaceproxy.agent.http.HttpBindException;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * kube-proxy's metrics port ({@code --metrics-bind-address}, default {@code 127.0.0.1:10249}):
 * <ul>
 *   <li>{@code /metrics}: the registry in the Prometheus text format, or OpenMetrics when the scraper's
 *       {@code Accept} header asks for it (the Prometheus client negotiates, and gzips on request);</li>
 *   <li>{@code /proxyMode}: {@code userspace}, as kube-proxy answers its mode;</li>
 *   <li>{@code /healthz}: {@code ok} while the process serves HTTP (kube-proxy's metrics-port ping);</li>
 *   <li>{@code /configz}: the effective configuration as JSON, when a supplier is given;</li>
 *   <li>{@code /connections}: a JSON view of open connections, when a supplier is given.</li>
 * </ul>
 * An endpoint whose supplier was not given answers 404. Suppliers are called on an HTTP thread per request and
 * must not block; a supplier that throws makes that request answer 500.
 */
public final class MetricsServer implements AutoCloseable {

    /** kube-proxy's default metrics address. */
    public static final InetSocketAddress DEFAULT_ADDRESS = new InetSocketAddress("127.0.0.1", 10249);

    private static final String JSON = "application/json";
    private static final String TEXT = "text/plain; charset=utf-8";

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

    /** Collects the optional endpoints, then binds. */
    public static final class Builder {
        private final InetSocketAddress bindAddress;
        private final PrometheusRegistry registry;
        private Supplier<String> configz;
        private Supplier<String> connections;

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
            this.connections = Objects.requireNonNull(connections, "connections");
            return this;
        }

        /**
         * Binds and starts serving.
         *
         * @throws HttpBindException naming the address and the reason when it cannot be bound
         */
        public MetricsServer start() throws HttpBindException {
            Map<String, HttpHandler> routes = new HashMap<>();
            routes.put("/metrics", new MetricsHandler(registry));
            routes.put("/proxyMode", exchange -> AgentHttpServer.respond(exchange, 200, TEXT, "userspace"));
            routes.put("/healthz", exchange -> AgentHttpServer.respond(exchange, 200, TEXT, "ok"));
            if (configz != null) {
                Supplier<String> body = configz;
                routes.put("/configz", exchange -> AgentHttpServer.respond(exchange, 200, JSON, body.get()));
            }
            if (connections != null) {
                Supplier<String> body = connections;
                routes.put("/connections", exchange -> AgentHttpServer.respond(exchange, 200, JSON, body.get()));
            }
            return new MetricsServer(AgentHttpServer.start("metrics", bindAddress, routes));
        }
    }
}
