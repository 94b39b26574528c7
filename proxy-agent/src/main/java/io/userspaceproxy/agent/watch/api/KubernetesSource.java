package io.userspaceproxy.agent.watch.api;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.userspaceproxy.agent.config.KubeApiSettings;
import io.userspaceproxy.agent.sync.ChangeTracker;
import io.userspaceproxy.agent.sync.NodeTracker;
import io.userspaceproxy.agent.watch.convert.KubernetesObjects;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves what the API server says: three fabric8 informers, on every Service and every EndpointSlice that are this
 * proxy's (see {@link ServiceProxySelector}), and on this node's own {@code v1/Node} (by a field selector on its
 * name), feed the same {@link ChangeTracker} as the manifest source, and a {@link NodeTracker}.
 *
 * <p>Start-up: {@link #synced()} completes once every informer has listed its objects, which is when the caller
 * should allow the first sync, as kube-proxy waits for its caches: programming a partial list would close
 * listeners of Services that simply were not listed yet. The informers keep retrying a failing list or watch
 * (unreachable API server, missing RBAC) forever, logging each new failure once.
 *
 * <p>Resilience: when the API server goes away the data plane keeps serving the last table; the watches reconnect
 * with fabric8's backoff and resume. When the server cannot resume from the last resource version (HTTP 410 Gone,
 * as after an API server restart), the informer lists again and reports what changed meanwhile, deletes
 * included ({@code onDelete} with an unknown final state). {@code --config-sync-period} re-delivers every object
 * periodically ({@code onUpdate} with old == new), which the handlers ignore.
 *
 * <p>Threading: handlers run on fabric8's informer executors and never block. {@link #close()} may be called from
 * any thread.
 */
public final class KubernetesSource implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KubernetesSource.class);

    private final KubernetesClient client;
    private final List<SharedIndexInformer<?>> informers;
    private final CompletableFuture<Void> synced;

    private KubernetesSource(KubernetesClient client, List<SharedIndexInformer<?>> informers,
            CompletableFuture<Void> synced) {
        this.client = client;
        this.informers = informers;
        this.synced = synced;
    }

    /**
     * Connects to the API server as {@code settings} say and starts the informers; returns at once.
     *
     * @param nodeName  this node's name: its Node object is watched for the zone and the node's addresses
     * @param onInvalid called with the kind ({@code Service}, {@code EndpointSlice}) of each object rejected as
     *                  invalid, for a metric; must not block
     * @param onWarning called with the kind of each object served with something ignored (an unknown annotation
     *                  value), once per warning logged at WARN, for a metric; must not block
     * @throws IllegalStateException when the API server's configuration cannot be found or read
     */
    public static KubernetesSource start(KubeApiSettings settings, String nodeName, ChangeTracker tracker,
            NodeTracker node, Consumer<String> onInvalid, Consumer<String> onWarning) {
        Objects.requireNonNull(settings, "settings");
        KubernetesClient client = ApiClients.create(settings);
        try {
            return start(client, settings, nodeName, new Sinks(tracker, node, onInvalid, onWarning));
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /** Where events go: the trackers and the invalid-object and warning counters. */
    private record Sinks(ChangeTracker tracker, NodeTracker node, Consumer<String> onInvalid,
            Consumer<String> onWarning) {
        Sinks {
            Objects.requireNonNull(tracker, "tracker");
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(onInvalid, "onInvalid");
            Objects.requireNonNull(onWarning, "onWarning");
        }
    }

    private static KubernetesSource start(KubernetesClient client, KubeApiSettings settings, String nodeName,
            Sinks sinks) {
        ServiceProxySelector selector = ServiceProxySelector.of(settings.serviceProxyName());
        long resync = settings.configSyncPeriod().toMillis();
        String selectorText = selector.labelSelector();
        SharedIndexInformer<Service> services = client.services().inAnyNamespace()
                .withLabelSelector(selectorText).runnableInformer(resync);
        services.addEventHandler(new TrackerHandler<Service>("Service", selector,
                (s, warnings) -> sinks.tracker().onServiceUpserted(KubernetesObjects.service(s, warnings)),
                sinks.tracker()::onServiceDeleted, sinks.onInvalid(), sinks.onWarning()));
        SharedIndexInformer<EndpointSlice> slices = client.discovery().v1().endpointSlices().inAnyNamespace()
                .withLabelSelector(selectorText).runnableInformer(resync);
        slices.addEventHandler(new TrackerHandler<EndpointSlice>("EndpointSlice", selector,
                (s, warnings) -> sinks.tracker().onSliceUpserted(KubernetesObjects.endpointSlice(s, warnings)),
                sinks.tracker()::onSliceDeleted, sinks.onInvalid(), sinks.onWarning()));
        SharedIndexInformer<Node> node = client.nodes().withName(nodeName).runnableInformer(resync);
        node.addEventHandler(new NodeHandler(sinks.node()));
        List<SharedIndexInformer<?>> all = List.of(services, slices, node);
        CompletableFuture<?>[] started = new CompletableFuture<?>[all.size()];
        for (int i = 0; i < all.size(); i++) {
            SharedIndexInformer<?> informer = all.get(i);
            informer.exceptionHandler(new InformerRetry(informer.getApiTypeClass().getSimpleName()));
            started[i] = informer.start().toCompletableFuture();
        }
        CompletableFuture<Void> synced = CompletableFuture.allOf(started);
        log.info("Watching Services and EndpointSlices ({}) and Node {} at {}; resync every {} s", selectorText,
                nodeName, client.getMasterUrl(), settings.configSyncPeriod().toSeconds());
        synced.thenRun(() -> log.info("Service, EndpointSlice and Node caches synced ({} Services, {} EndpointSlices)",
                services.getStore().list().size(), slices.getStore().list().size()));
        return new KubernetesSource(client, all, synced);
    }

    /** Completes when every informer has listed once (and never completes exceptionally: listing is retried). */
    public CompletableFuture<Void> synced() {
        return synced;
    }

    /**
     * The {@value NeedPodsEvents#REASON} events of this node's agent, through this source's client; close them before
     * this source.
     */
    public NeedPodsEvents needPodsEvents(String nodeName, Runnable onFailure) {
        return NeedPodsEvents.toApi(client, nodeName, onFailure, java.time.Clock.systemUTC());
    }

    /** Stops the informers and closes the client; the trackers keep the last state. Idempotent. */
    @Override
    public void close() {
        for (SharedIndexInformer<?> informer : informers) {
            informer.stop();
        }
        client.close();
    }
}
