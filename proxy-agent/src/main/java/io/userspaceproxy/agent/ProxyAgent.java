package io.userspaceproxy.agent;

import io.userspaceproxy.agent.config.AgentConfig;
import io.userspaceproxy.agent.demo.DemoBackends;
import io.userspaceproxy.agent.demo.DemoClient;
import io.userspaceproxy.agent.health.SyncHealth;
import io.userspaceproxy.agent.metrics.ProxyMetricsExporter;
import io.userspaceproxy.agent.net.IpCommand;
import io.userspaceproxy.agent.sync.ChangeTracker;
import io.userspaceproxy.agent.sync.NodeTracker;
import io.userspaceproxy.agent.sync.Proxier;
import io.userspaceproxy.agent.sync.SnapshotBuilder;
import io.userspaceproxy.agent.sync.SyncRunner;
import io.userspaceproxy.agent.watch.KubernetesSource;
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
import java.io.IOException;
import java.time.Clock;
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
 * The running agent: starts its parts in dependency order (data plane, node network, change tracking, source,
 * sync loop) and stops them in reverse. The source (manifest files, or the API server's informers) feeds the
 * tracker; the tracker wakes the sync loop; each sync builds a snapshot, makes its Service addresses local and
 * hands it to the listener set. On a cluster the sync loop starts only once the informers' caches have synced.
 */
public final class ProxyAgent implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ProxyAgent.class);
    private static final Duration FIRST_SYNC_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration BIND_RETRY = Duration.ofSeconds(1);
    private static final int DEMO_REQUESTS = 6;

    private final AgentConfig config;
    private final ProxyCounters counters = new ProxyCounters();
    private final ChangeTracker tracker = new ChangeTracker();
    private final NodeTracker node = new NodeTracker();
    private final CountDownLatch firstSync = new CountDownLatch(1);
    private final SyncHealth health;
    private final ProxyMetricsExporter metrics;
    private final NodeNetwork network;
    private final ListenerSet listeners;
    private final Proxier proxier;
    private final SyncRunner runner;
    private AutoCloseable source;
    private DemoBackends demo;
    private volatile boolean closed;

    private ProxyAgent(AgentConfig config) {
        this.config = config;
        RelayOptions relay = new RelayOptions(RelayOptions.DEFAULT_CONNECT_TIMEOUTS, config.tcpIdleTimeout(),
                RelayOptions.DEFAULT_WRITE_BUFFER_LOW_WATER_MARK, RelayOptions.DEFAULT_WRITE_BUFFER_HIGH_WATER_MARK);
        this.listeners = new ListenerSet(ListenerOptions.defaults().withRelay(relay)
                .withUdp(UdpRelayOptions.DEFAULT.withMaxFlows(config.maxUdpFlows())), counters);
        this.health = SyncHealth.create(config.syncPeriod(), Clock.systemUTC());
        this.metrics = ProxyMetricsExporter.create(counters, health);
        this.network = new NodeNetwork(config, node, new IpCommand());
        this.proxier = new Proxier(tracker, new SnapshotBuilder(config.udpTimeout()), network::nodeContext, listeners,
                network::syncAddresses);
        this.runner = new SyncRunner("sync", this::syncOnce, config.minSyncPeriod(), config.syncPeriod());
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
        log.info("userspace-proxy starting: node {}, {} transport, source {}", config.nodeName(),
                listeners.transport(), config.inCluster() ? "API server" : config.manifests().toAbsolutePath());
        network.start(health::healthy, metrics::onHealthCheckBindFailure);
        // Load everything first, then listen for changes: the first sync then serves the whole directory (or every
        // Service of the cluster), not whichever objects happened to be read when the first change fired.
        if (config.inCluster()) {
            KubernetesSource api = KubernetesSource.start(config.api(), config.nodeName(), tracker, node,
                    metrics::onInvalidObject);
            source = api;
            api.synced().thenRun(this::startSyncing);
        } else {
            source = ManifestSource.start(config.manifests(), tracker);
            startSyncing();
        }
        if (!firstSync.await(FIRST_SYNC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            log.warn("the first sync has not finished after {} s; serving as soon as it does",
                    FIRST_SYNC_TIMEOUT.toSeconds());
        }
        if (config.demo()) {
            startDemo();
        }
    }

    /** Wakes the sync loop on every change from now on; the explicit request covers changes already tracked. */
    private void startSyncing() {
        if (closed) {
            return;
        }
        tracker.setChangeListener(runner::request);
        node.setChangeListener(runner::request);
        runner.request();
        runner.start();
    }

    private void syncOnce() {
        Proxier.SyncReport report = proxier.sync();
        report.networkProgrammingLatencies().forEach(metrics::onNetworkProgrammingLatency);
        if (!report.addressesSynced()) {
            metrics.onServiceAddressFailure();
        }
        network.afterSync(report.state());
        firstSync.countDown();
        if (report.needsRetry()) {
            runner.requestAfter(BIND_RETRY);
        }
    }

    /** Starts the stand-in backends, then shows the balancing through every TCP ClusterIP, off the sync thread. */
    private void startDemo() {
        List<DemoBackends.Backend> backends = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        List<Map.Entry<ListenerKey, Route>> clusterIps = new ArrayList<>();
        for (Map.Entry<ListenerKey, Route> e : proxier.served().routes().entrySet()) {
            Route route = e.getValue();
            for (var ep : route.endpoints()) {
                if (seen.add(e.getKey().protocol() + " " + ep)) {
                    backends.add(new DemoBackends.Backend(e.getKey().protocol(), ep, route.servicePort().toString()));
                }
            }
            if (route.frontend() == FrontendKind.CLUSTER_IP && e.getKey().protocol() == Protocol.TCP) {
                clusterIps.add(e);
            }
        }
        demo = DemoBackends.start(backends);
        Thread t = new Thread(() -> clusterIps.forEach(e -> DemoClient.show(e.getValue().servicePort().toString(),
                e.getKey().address(), DEMO_REQUESTS)), "demo-client");
        t.setDaemon(true);
        t.start();
    }

    public ListenerSet listeners() {
        return listeners;
    }

    public ProxyCounters counters() {
        return counters;
    }

    /** The agent's metrics (kube-proxy's names), for a metrics server and tests. */
    public ProxyMetricsExporter metrics() {
        return metrics;
    }

    /** How many syncs have started since start. */
    public long syncs() {
        return runner.runs();
    }

    /**
     * Stops in reverse start order: demo, source, sync loop, health checks, then the listeners and their
     * connections. Service addresses stay on the VIP interface (the next run or {@code --cleanup} removes them).
     */
    @Override
    public void close() {
        closed = true;
        if (demo != null) {
            demo.close();
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
        log.info("userspace-proxy stopped");
    }

    /** Runs until the JVM is asked to stop (SIGTERM, SIGINT); returns the process exit status. */
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
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agent.close();
            stopped.countDown();
        }, "shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
