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
import java.io.IOException;
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
    private ManifestSource source;
    private DemoBackends demo;

    private ProxyAgent(AgentConfig config) {
        this.config = config;
        RelayOptions relay = new RelayOptions(RelayOptions.DEFAULT_CONNECT_TIMEOUTS, config.tcpIdleTimeout(),
                RelayOptions.DEFAULT_WRITE_BUFFER_LOW_WATER_MARK, RelayOptions.DEFAULT_WRITE_BUFFER_HIGH_WATER_MARK);
        this.listeners = new ListenerSet(ListenerOptions.defaults().withRelay(relay)
                .withUdp(UdpRelayOptions.DEFAULT.withMaxFlows(config.maxUdpFlows())), counters);
        this.proxier = new Proxier(tracker, new SnapshotBuilder(config.udpTimeout()), this::nodeContext, listeners);
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
        log.info("userspace-proxy starting: node {}, {} transport, manifests {}", config.nodeName(),
                listeners.transport(), config.manifests().toAbsolutePath());
        // Load everything first, then listen for changes: the first sync then serves the whole directory, not
        // whichever files happened to be read when the first change fired. The explicit request covers changes
        // made between the two steps.
        source = ManifestSource.start(config.manifests(), tracker);
        tracker.setChangeListener(runner::request);
        runner.request();
        runner.start();
        if (!firstSync.await(FIRST_SYNC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            log.warn("the first sync has not finished after {} s; serving as soon as it does",
                    FIRST_SYNC_TIMEOUT.toSeconds());
        }
        if (config.demo()) {
            startDemo();
        }
    }

    private void syncOnce() {
        Proxier.SyncReport report = proxier.sync();
        firstSync.countDown();
        if (report.needsRetry()) {
            runner.requestAfter(BIND_RETRY);
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

    /** Stops in reverse start order: demo, source, sync loop, then the listeners and their connections. */
    @Override
    public void close() {
        if (demo != null) {
            demo.close();
        }
        if (source != null) {
            source.close();
        }
        runner.close();
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
