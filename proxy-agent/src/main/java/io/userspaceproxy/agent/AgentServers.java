package io.userspaceproxy.agent;

import io.userspaceproxy.agent.config.AgentConfig;
import io.userspaceproxy.agent.config.Configz;
import io.userspaceproxy.agent.health.HealthServer;
import io.userspaceproxy.agent.health.SyncHealth;
import io.userspaceproxy.agent.http.HttpBindException;
import io.userspaceproxy.agent.metrics.ConnectionsJson;
import io.userspaceproxy.agent.metrics.EndpointsJson;
import io.userspaceproxy.agent.metrics.MetricsServer;
import io.userspaceproxy.agent.metrics.ProxyMetricsExporter;
import io.userspaceproxy.core.listen.ListenerSet;
import io.userspaceproxy.core.model.IpAddresses;
import java.net.InetSocketAddress;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's two HTTP servers: health ({@code /healthz}, {@code /livez}) and metrics ({@code /metrics},
 * {@code /proxyMode}, {@code /configz}, {@code /connections}). They start before the first sync, so probes answer
 * while it runs, or, at an upgrade, once the running agent has released their ports (see {@link AgentHandover}); and
 * they stop at the end, or early for the agent that takes over. A port already in use is reported and the agent goes
 * on without that server: it must never keep the data plane from starting.
 */
final class AgentServers implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AgentServers.class);

    private final AgentConfig config;
    private final SyncHealth health;
    private final ProxyMetricsExporter metrics;
    private final ListenerSet listeners;
    private volatile @Nullable HealthServer healthServer;
    private volatile @Nullable MetricsServer metricsServer;

    AgentServers(AgentConfig config, SyncHealth health, ProxyMetricsExporter metrics, ListenerSet listeners) {
        this.config = config;
        this.health = health;
        this.metrics = metrics;
        this.listeners = listeners;
    }

    synchronized void start() {
        try {
            healthServer = HealthServer.start(config.healthzBindAddress(), health);
            log.info("serving /healthz and /livez on {}", IpAddresses.format(healthServer.address()));
        } catch (HttpBindException e) {
            log.error("{}; running without health endpoints", e.getMessage());
        }
        try {
            String configz = Configz.render(config);
            metricsServer = MetricsServer.builder(config.metricsBindAddress(), metrics.registry())
                    .configz(() -> configz)
                    .connections(ConnectionsJson.of(listeners))
                    .endpoints(EndpointsJson.of(listeners))
                    .start();
            log.info("serving /metrics, /proxyMode, /configz, /connections and /endpoints on {}",
                    IpAddresses.format(metricsServer.address()));
        } catch (HttpBindException e) {
            log.error("{}; running without metrics endpoints", e.getMessage());
        }
    }

    /** Where /metrics is served, if its server runs (port 0 in the config picks a free one). */
    Optional<InetSocketAddress> metricsAddress() {
        return Optional.ofNullable(metricsServer).map(MetricsServer::address);
    }

    /** Where /healthz is served, if its server runs. */
    Optional<InetSocketAddress> healthAddress() {
        return Optional.ofNullable(healthServer).map(HealthServer::address);
    }

    /** Frees both ports; {@link #start()} may bind them again. */
    @Override
    public synchronized void close() {
        if (metricsServer != null) {
            metricsServer.close();
            metricsServer = null;
        }
        if (healthServer != null) {
            healthServer.close();
            healthServer = null;
        }
    }
}
