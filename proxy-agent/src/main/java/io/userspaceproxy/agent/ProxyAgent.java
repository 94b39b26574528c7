package io.userspaceproxy.agent;

import io.userspaceproxy.agent.config.AgentConfig;
import io.userspaceproxy.agent.demo.DemoBackends;
import io.userspaceproxy.agent.demo.DemoClient;
import io.userspaceproxy.agent.net.NodeAddresses;
import io.userspaceproxy.agent.sync.ChangeTracker;
import io.userspaceproxy.agent.sync.NodeContext;
import io.userspaceproxy.agent.sync.Proxier;
import io.userspaceproxy.agent.sync.SnapshotBuilder;
import io.userspaceproxy.agent.sync.SyncRunner;
import io.userspaceproxy.agent.watch.ManifestSource;
import io.userspaceproxy.core.listen.ListenerOptions;
import io.userspaceproxy.core.listen.ListenerSet;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.relay.RelayOptions;
import io.userspaceproxy.core.relay.udp.UdpRelayOptions;
import io.userspaceproxy.agent.config.Configz;
import io.userspaceproxy.agent.config.GoDuration;
import io.userspaceproxy.agent.health.HealthServer;
import io.userspaceproxy.agent.health.SyncHealth;
import io.userspaceproxy.agent.http.AgentHttpServer;
import io.userspaceproxy.agent.http.HttpBindException;
import io.userspaceproxy.agent.metrics.ConnectionsJson;
import io.userspaceproxy.agent.metrics.MetricsServer;
import io.userspaceproxy.agent.metrics.ProxyMetricsExporter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import sun.misc.Signal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running agent: starts its parts in dependency order (data plane, change tracking, sync loop, source) and
 * stops them in reverse. The source feeds the tracker; the tracker wakes the sync loop; each sync builds a
 * snapshot and hands it to the listener set.
 */
public final class ProxyAgent implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ProxyAgent.class);
    private static final Duration FIRST_SYNC_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration BIND_RETRY = Duration.ofSeconds(1);
    private static final int DEMO_REQUESTS = 6;

    private final AgentConfig config;
    private final ProxyCounters counters = new ProxyCounters();
    private final ChangeTracker tracker = new ChangeTracker();
    private final CountDownLatch firstSync = new CountDownLatch(1);
    private final ListenerSet listeners;
    private final Proxier proxier;
    private final SyncRunner runner;
    private final SyncHealth health;
    private final ProxyMetricsExporter metrics;
    private final AtomicBoolean closed = new AtomicBoolean();
    private ManifestSource source;
    private HealthServer healthServer;
    private MetricsServer metricsServer;
    private DemoBackends demo;
    /** Confined to the sync thread. */
    private long invalidManifestsReported;

    private ProxyAgent(AgentConfig config) {
        this.config = config;
        RelayOptions relay = new RelayOptions(RelayOptions.DEFAULT_CONNECT_TIMEOUTS, config.tcpIdleTimeout(),
                RelayOptions.DEFAULT_WRITE_BUFFER_LOW_WATER_MARK, RelayOptions.DEFAULT_WRITE_BUFFER_HIGH_WATER_MARK);
        this.listeners = new ListenerSet(ListenerOptions.defaults().withRelay(relay)
                .withUdp(UdpRelayOptions.DEFAULT.withMaxFlows(config.maxUdpFlows())), counters);
        this.proxier = new Proxier(tracker, new SnapshotBuilder(config.udpTimeout()), this::nodeContext, listeners);
        this.runner = new SyncRunner("sync", this::syncOnce, config.minSyncPeriod(), config.syncPeriod());
        this.health = SyncHealth.create(config.syncPeriod(), Clock.systemUTC());
        this.metrics = ProxyMetricsExporter.create(counters, health);
    }

    /** Starts everything and waits for the first sync, so that the listeners are bound when this returns. */
    public static ProxyAgent start(AgentConfig config) throws IOException, InterruptedException {
        ProxyAgent agent = new ProxyAgent(config);
        try {
            agent.startParts();
            return agent;
        } catch (IOException | InterruptedException | RuntimeException e) {
            agent.close();
            throw e;
        }
    }

    private void startParts() throws IOException, InterruptedException {
        log.info("userspace-proxy starting: node {}, {} transport, manifests {}", config.nodeName(),
                listeners.transport(), config.manifests().toAbsolutePath());
        startServers();
        // Load everything first, then listen for changes: the first sync then serves the whole directory, not
        // whichever files happened to be read when the first change fired. The explicit request covers changes
        // made between the two steps.
        source = ManifestSource.start(config.manifests(), tracker);
        tracker.setChangeListener(this::onChange);
        onChange();
        runner.start();
        if (!firstSync.await(FIRST_SYNC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            log.warn("the first sync has not finished after {} s; serving as soon as it does",
                    FIRST_SYNC_TIMEOUT.toSeconds());
        }
        if (config.demo()) {
            startDemo();
        }
    }

    /** A change is pending: note it for health and metrics, and wake the sync loop. Cheap; never blocks. */
    private void onChange() {
        health.onQueued();
        metrics.onSyncQueued(Instant.now());
        runner.request();
    }

    private void syncOnce() {
        Instant started = Instant.now();
        Proxier.SyncReport report;
        try {
            report = proxier.sync();
        } catch (RuntimeException e) {
            metrics.onSyncFailed(Duration.between(started, Instant.now()));
            throw e;
        }
        health.onSynced(started);
        metrics.onSync(report.took(), Instant.now());
        metrics.onServiceChanges(report.state().changedServices());
        metrics.onEndpointChanges(report.state().changedEndpointSlices());
        metrics.setPendingChanges(tracker.pendingServiceChanges(), tracker.pendingEndpointChanges());
        long invalid = source.invalidManifests();
        metrics.onInvalidObjects("manifest", invalid - invalidManifestsReported);
        invalidManifestsReported = invalid;
        firstSync.countDown();
        if (report.needsRetry()) {
            runner.requestAfter(BIND_RETRY);
        }
    }

    /**
     * Health and metrics come up first, so probes answer while the first sync runs. A port already in use is
     * reported and the agent goes on without that server: it must never keep the data plane from starting.
     */
    private void startServers() {
        try {
            healthServer = HealthServer.start(config.healthzBindAddress(), health);
            log.info("serving /healthz and /livez on {}", AgentHttpServer.format(healthServer.address()));
        } catch (HttpBindException e) {
            log.error("{}; running without health endpoints", e.getMessage());
        }
        try {
            String configz = Configz.render(config);
            metricsServer = MetricsServer.builder(config.metricsBindAddress(), metrics.registry())
                    .configz(() -> configz)
                    .connections(ConnectionsJson.of(listeners))
                    .start();
            log.info("serving /metrics, /proxyMode, /configz and /connections on {}",
                    AgentHttpServer.format(metricsServer.address()));
        } catch (HttpBindException e) {
            log.error("{}; running without metrics endpoints", e.getMessage());
        }
    }

    private NodeContext nodeContext() {
        return new NodeContext(config.nodeName(), null, NodeAddresses.within(config.nodePortAddresses()));
    }

    /** Starts the stand-in backends, then shows the balancing through every TCP ClusterIP, off the sync thread. */
    private void startDemo() {
        List<DemoBackends.Backend> backends = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        List<Map.Entry<ListenerKey, Route>> clusterIps = new ArrayList<>();
        List<Map.Entry<ListenerKey, Route>> udpClusterIps = new ArrayList<>();
        for (Map.Entry<ListenerKey, Route> e : proxier.served().routes().entrySet()) {
            Route route = e.getValue();
            for (var ep : route.endpoints()) {
                if (seen.add(e.getKey().protocol() + " " + ep)) {
                    backends.add(new DemoBackends.Backend(e.getKey().protocol(), ep, route.servicePort().toString()));
                }
            }
            if (route.frontend() == FrontendKind.CLUSTER_IP) {
                (e.getKey().protocol() == Protocol.TCP ? clusterIps : udpClusterIps).add(e);
            }
        }
        demo = DemoBackends.start(backends);
        Thread t = new Thread(() -> {
            clusterIps.forEach(e -> DemoClient.show(e.getValue().servicePort().toString(), e.getKey().address(),
                    DEMO_REQUESTS));
            udpClusterIps.forEach(e -> DemoClient.showUdp(e.getValue().servicePort().toString(), e.getKey().address(),
                    DEMO_REQUESTS));
        }, "demo-client");
        t.setDaemon(true);
        t.start();
    }

    public ListenerSet listeners() {
        return listeners;
    }

    public ProxyCounters counters() {
        return counters;
    }

    /** Where /metrics is served, if its server started (port 0 in the config picks a free one). */
    public Optional<InetSocketAddress> metricsAddress() {
        return Optional.ofNullable(metricsServer).map(MetricsServer::address);
    }

    /** Where /healthz is served, if its server started. */
    public Optional<InetSocketAddress> healthAddress() {
        return Optional.ofNullable(healthServer).map(HealthServer::address);
    }

    public ProxyMetricsExporter metrics() {
        return metrics;
    }

    public SyncHealth health() {
        return health;
    }

    /**
     * Stops taking new connections and lets the open ones finish for at most {@code timeout}; {@link #close()}
     * then ends whatever is left. Listeners close at once, so a new agent bound beside this one (SO_REUSEPORT) takes
     * every new connection.
     *
     * @return true when every connection ended within the timeout
     */
    public boolean drain(Duration timeout) {
        runner.close();
        int open = listeners.connectionCount();
        log.info("draining: stopped accepting; waiting up to {} for {} open connection(s)", GoDuration.format(timeout),
                open);
        listeners.stopAccepting();
        boolean drained;
        try {
            drained = listeners.awaitDrained(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            drained = false;
        }
        if (!drained) {
            log.warn("drain timeout of {} reached with {} connection(s) open; closing them", GoDuration.format(timeout),
                    listeners.connectionCount());
        }
        return drained;
    }

    /** Stops in reverse start order: demo, source, sync loop, listeners and connections, then the servers. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (demo != null) {
            demo.close();
        }
        if (source != null) {
            source.close();
        }
        runner.close();
        listeners.close();
        if (metricsServer != null) {
            metricsServer.close();
        }
        if (healthServer != null) {
            healthServer.close();
        }
        log.info("userspace-proxy stopped");
    }

    /**
     * Runs until SIGTERM or SIGINT, then drains (see {@link #drain}) and returns the exit status: 0 after a drain,
     * whether or not connections had to be cut at its end; 1 when the agent could not start.
     */
    static int runUntilStopped(AgentConfig config) {
        ProxyAgent agent;
        try {
            agent = start(config);
        } catch (IOException | RuntimeException e) {
            log.error("cannot start: {}", e.toString(), e);
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runnable drainAndStop = () -> {
            agent.drain(config.drainTimeout());
            agent.close();
            stopped.countDown();
        };
        AtomicBoolean signalled = new AtomicBoolean();
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> {
                if (signalled.compareAndSet(false, true)) {
                    log.info("received SIG{}", signal.getName());
                    Thread t = new Thread(drainAndStop, "drain");
                    t.start();
                }
            });
        }
        // Any other way out (System.exit elsewhere, a second signal's default) still closes the sockets.
        Runtime.getRuntime().addShutdownHook(new Thread(agent::close, "shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
