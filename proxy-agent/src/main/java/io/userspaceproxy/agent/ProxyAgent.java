package io.userspaceproxy.agent;

import io.userspaceproxy.agent.config.AgentConfig;
import io.userspaceproxy.agent.config.GoDuration;
import io.userspaceproxy.agent.config.KubeApiSettings;
import io.userspaceproxy.agent.demo.Demo;
import io.userspaceproxy.agent.health.SyncHealth;
import io.userspaceproxy.agent.metrics.DirectMemoryMetrics;
import io.userspaceproxy.agent.metrics.EndpointMetrics;
import io.userspaceproxy.agent.metrics.ProxyMetricsExporter;
import io.userspaceproxy.agent.metrics.UdpDropMetrics;
import io.userspaceproxy.agent.metrics.UdpGsoMetrics;
import io.userspaceproxy.agent.net.IpCommand;
import io.userspaceproxy.agent.process.JvmMemory;
import io.userspaceproxy.agent.process.OpenFiles;
import io.userspaceproxy.agent.sync.ChangeTracker;
import io.userspaceproxy.agent.sync.NodeTracker;
import io.userspaceproxy.agent.sync.Proxier;
import io.userspaceproxy.agent.sync.SnapshotBuilder;
import io.userspaceproxy.agent.sync.SyncRunner;
import io.userspaceproxy.agent.watch.api.KubernetesSource;
import io.userspaceproxy.agent.watch.api.NeedPodsEvents;
import io.userspaceproxy.agent.watch.manifests.ManifestSource;
import io.userspaceproxy.core.listen.EndpointView;
import io.userspaceproxy.core.listen.ListenerOptions;
import io.userspaceproxy.core.listen.ListenerSet;
import io.userspaceproxy.core.listen.Transport;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.relay.DirectMemoryGuard;
import io.userspaceproxy.core.relay.RelayOptions;
import io.userspaceproxy.core.relay.udp.UdpRelayOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running agent: starts its parts in dependency order (servers, data plane, node network, change tracking,
 * source, sync loop) and stops them in reverse. The source (manifest files, or the API server's informers) feeds
 * the tracker; the tracker wakes the sync loop; each sync builds a snapshot, makes its Service addresses local and
 * hands it to the listener set. On a cluster the sync loop starts only once the informers' caches have synced.
 * At an upgrade it takes over the running agent's listening sockets and then its ports ({@link AgentHandover}).
 */
public final class ProxyAgent implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ProxyAgent.class);
    private static final Duration FIRST_SYNC_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration BIND_RETRY = Duration.ofSeconds(1);

    private final AgentConfig config;
    private final ProxyCounters counters = new ProxyCounters();
    private final ChangeTracker tracker = new ChangeTracker();
    private final NodeTracker node = new NodeTracker();
    private final CountDownLatch firstSync = new CountDownLatch(1);
    private final ListenerSet listeners;
    private final Proxier proxier;
    private final SyncRunner runner;
    private final SyncHealth health;
    private final ProxyMetricsExporter metrics;
    private final NodeNetwork network;
    private final SyncReporting reporting;
    private final AgentServers servers;
    private final AtomicBoolean closed = new AtomicBoolean();
    private @Nullable AutoCloseable source;
    private @Nullable ManifestSource manifests;
    private @Nullable Demo demo;
    private @Nullable NeedPodsEvents needPods;
    private volatile @Nullable AgentHandover handover;

    private ProxyAgent(AgentConfig config) {
        this.config = config;
        RelayOptions relay = new RelayOptions(RelayOptions.DEFAULT_CONNECT_TIMEOUTS, config.tcpIdleTimeout(),
                RelayOptions.DEFAULT_WRITE_BUFFER_LOW_WATER_MARK, RelayOptions.DEFAULT_WRITE_BUFFER_HIGH_WATER_MARK,
                config.tcpSpliceThreshold(), config.maxHeldConnections());
        JvmMemory.tune();
        int socketBudget = OpenFiles.listenerSocketBudget(OpenFiles.raise());
        this.listeners = new ListenerSet(ListenerOptions.defaults().withTransport(config.transport()).withRelay(relay)
                .withUdp(UdpRelayOptions.DEFAULT.withMaxFlows(config.maxUdpFlows())
                        .withListenerReceiveBuffer(config.udpReceiveBuffer()).withGso(config.udpGso()))
                .withSocketBudget(socketBudget), counters);
        this.health = SyncHealth.create(config.syncPeriod(), Clock.systemUTC());
        this.metrics = ProxyMetricsExporter.create(counters, health, config.metricsServicePorts());
        this.network = new NodeNetwork(config, node, new IpCommand());
        this.proxier = new Proxier(tracker, new SnapshotBuilder(config.udpTimeout()), network::nodeContext, listeners,
                network::syncAddresses);
        this.servers = new AgentServers(config, health, metrics, listeners);
        this.reporting = new SyncReporting(health, metrics, network, node, tracker);
        this.runner = new SyncRunner("sync", this::syncOnce, config.minSyncPeriod(), config.syncPeriod());
        UdpDropMetrics.register(metrics.registry(), listeners.udpFlows()::receiveDrops);
        UdpGsoMetrics.register(metrics.registry(), listeners.udpFlows()::segmentedDatagrams,
                listeners.udpFlows()::refusedRuns);
        DirectMemoryMetrics.register(metrics.registry(), DirectMemoryGuard.jvm());
        EndpointMetrics.register(metrics.registry(), () -> EndpointView.active(listeners));
        metrics.registerLocalhostNodePorts(() -> proxier.localhostNodePorts(false),
                () -> proxier.localhostNodePorts(true));
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
        KubeApiSettings cluster = config.api();
        Path directory = config.manifests();
        Transport transport = listeners.transport();
        Transport udpTransport = transport.datagramTransport();
        String udp = udpTransport == transport ? "" : " (UDP on " + udpTransport + ")";
        log.info("userspace-proxy starting: node {}, {} transport{}, source {}", config.nodeName(), transport, udp,
                directory == null ? "API server" : directory.toAbsolutePath());
        String whyNotIoUring = Transport.whyNotIoUring();
        if (whyNotIoUring != null && transport == Transport.best()) {
            // auto fell back (or was named what it would have fallen back to): say why io_uring was passed over.
            log.info("io_uring is not used here, so {} serves: {}", transport, whyNotIoUring);
        }
        handover = AgentHandover.begin(config.handoverSocket(), listeners, counters);
        if (!handover.portsHeldByPredecessor()) {
            servers.start();
        }
        network.start(health::healthy, metrics::onHealthCheckBindFailure);
        // Load everything first, then listen for changes: the first sync then serves the whole directory (or every
        // Service of the cluster), not whichever objects happened to be read when the first change fired.
        if (cluster != null) {
            KubernetesSource api = KubernetesSource.start(cluster, config.nodeName(), tracker, node,
                    metrics::onInvalidObject, metrics::onObjectWarning);
            source = api;
            signalNeedPods(api.needPodsEvents(config.nodeName(), metrics::onEventFailure));
            api.synced().thenRun(this::startSyncing);
        } else {
            manifests = ManifestSource.start(Objects.requireNonNull(directory, "AgentConfig: API server or manifests"),
                    tracker, ManifestSource.DEFAULT_RESCAN_INTERVAL,
                    ManifestSource.Observer.of(() -> metrics.onInvalidObject("manifest"), // at once, not at a sync
                            () -> metrics.onObjectWarning("manifest"),
                            cause -> health.onSourceStopped("manifest watch stopped: " + cause)));
            source = manifests;
            signalNeedPods(NeedPodsEvents.toLog(Clock.systemUTC()));
            startSyncing();
        }
        if (!firstSync.await(FIRST_SYNC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            log.warn("the first sync has not finished after {} s; serving as soon as it does",
                    FIRST_SYNC_TIMEOUT.toSeconds());
        }
        handover.takeOver(servers::start, () -> {
            listeners.stopAccepting();
            servers.close();
        });
        if (config.demo()) {
            demo = Demo.start(Map.copyOf(proxier.served()));
        }
    }

    /** Connections and UDP clients held for want of an endpoint are signalled through {@code events}. */
    private void signalNeedPods(NeedPodsEvents events) {
        needPods = events.whileHeld(service -> counters.anyHeld(service.namespace(), service.name()));
        listeners.heldConnections().observe(events);
        listeners.udpFlows().observeHolds(events);
    }

    /** Wakes the sync loop on every change from now on; the explicit request covers changes already tracked. */
    private void startSyncing() {
        if (closed.get()) {
            return;
        }
        tracker.setChangeListener(this::onChange);
        node.setChangeListener(this::onChange);
        onChange();
        runner.start();
    }

    /** A change is pending: note it for health and metrics, and wake the sync loop. Cheap; never blocks. */
    private void onChange() {
        health.onQueued();
        metrics.onSyncQueued(Instant.now());
        runner.request();
    }

    private SyncRunner.Result syncOnce() {
        Instant started = Instant.now();
        Proxier.SyncReport report;
        try {
            report = proxier.sync();
        } catch (RuntimeException e) {
            reporting.failed(started, proxier.lastSyncFull());
            throw e;
        }
        reporting.synced(started, report, proxier.localFacts());
        if (firstSync.getCount() > 0) {
            JvmMemory.afterInitialLoad();
            firstSync.countDown();
            // The first full sync took the other path: load and link the per-change path now, on a scratch copy
            // and through one partial sync with nothing to apply, so that the first real change is not the one
            // paying for that (47 ms against 0.8 ms at 10,000 Services, benchmarks/scale).
            proxier.warmUp();
            runner.request();
        }
        return report.needsRetry() ? SyncRunner.Result.retryAfter(BIND_RETRY) : SyncRunner.Result.DONE;
    }

    public ListenerSet listeners() {
        return listeners;
    }

    public ProxyCounters counters() {
        return counters;
    }

    /** Where /metrics is served, if its server started (port 0 in the config picks a free one). */
    public Optional<InetSocketAddress> metricsAddress() {
        return servers.metricsAddress();
    }

    /** Where /healthz is served, if its server started. */
    public Optional<InetSocketAddress> healthAddress() {
        return servers.healthAddress();
    }

    public ProxyMetricsExporter metrics() {
        return metrics;
    }

    /** How many syncs have started since start. */
    public long syncs() {
        return runner.runs();
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
        if (handover != null) {
            handover.close(); // a draining agent has no sockets to offer: a new one binds beside it
        }
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
        if (needPods != null) {
            needPods.close();
        }
        if (source != null) {
            try {
                source.close();
            } catch (Exception e) {
                log.warn("closing the source failed: {}", e.toString());
            }
        }
        runner.close();
        network.close();
        listeners.close();
        if (handover != null) {
            handover.close();
        }
        servers.close();
        log.info("userspace-proxy stopped");
    }

    /** Completes once a new agent has taken over this one's sockets and ports (see {@link AgentHandover}). */
    public CompletableFuture<Void> handedOver() {
        return handover != null ? handover.handedOver() : new CompletableFuture<>();
    }
}
