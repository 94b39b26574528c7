package io.userspaceproxy.agent.sync;

import io.userspaceproxy.core.listen.ApplyResult;
import io.userspaceproxy.core.listen.ListenerSet;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.ProxySnapshot;
import io.userspaceproxy.core.model.Route;
import java.net.Inet6Address;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One sync, as a table of contents: take the pending changes, build the snapshot, make its Service addresses
 * local, apply it to the listeners, report. Runs only on the {@link SyncRunner}'s thread, so its fields need no
 * synchronisation.
 */
public final class Proxier {

    private static final Logger log = LoggerFactory.getLogger(Proxier.class);

    private final ChangeTracker tracker;
    private final SnapshotBuilder builder;
    private final Supplier<NodeContext> node;
    private final ListenerSet listeners;
    private final ServiceAddressSync addresses;
    private final LongAdder addressSyncFailures = new LongAdder();

    private ProxySnapshot served = ProxySnapshot.EMPTY;
    /** True until a sync succeeds, and again after one fails: the next sync is then a full one. */
    private boolean needFullSync = true;
    private NodeContext lastNode;
    private long lastFullSyncNanos;
    private boolean lastSyncFull;
    /** The bound NodePort listeners on loopback addresses (KEP-6032's localhost NodePorts), kept per apply. */
    private final Set<ListenerKey> localhostNodePorts = ConcurrentHashMap.newKeySet();
    private Set<String> reportedProblems = Set.of();
    private String reportedAddressFailure;

    /** A proxier that leaves Service addresses alone ({@link ServiceAddressSync#NONE}). */
    public Proxier(ChangeTracker tracker, SnapshotBuilder builder, Supplier<NodeContext> node, ListenerSet listeners) {
        this(tracker, builder, node, listeners, ServiceAddressSync.NONE);
    }

    /**
     * How often a sync counts as full even when nothing forces one: kube-proxy's {@code FullSyncPeriod}, which its
     * full/partial sync histograms are split by.
     */
    static final Duration FULL_SYNC_PERIOD = Duration.ofHours(1);

    /** @param addresses makes each snapshot's Service addresses local before its listeners bind */
    public Proxier(ChangeTracker tracker, SnapshotBuilder builder, Supplier<NodeContext> node, ListenerSet listeners,
            ServiceAddressSync addresses) {
        this.tracker = tracker;
        this.builder = builder;
        this.node = node;
        this.listeners = listeners;
        this.addresses = addresses;
    }

    /**
     * What one sync did, for the runner, health and metrics.
     *
     * @param addressesSynced false when making the Service addresses local failed (logged and counted)
     * @param appliedAt       when the new table started serving
     */
    public record SyncReport(BuildResult built, ApplyResult applied, ClusterState state, Duration took,
            boolean addressesSynced, Instant appliedAt, boolean full) {

        /** True when some listener could not be bound, or some Service address not added: retry soon. */
        public boolean needsRetry() {
            return !applied.bindFailures().isEmpty() || !addressesSynced;
        }

        /**
         * kube-proxy's network programming latency of each EndpointSlice change this sync applied: from the
         * change's trigger time to {@link #appliedAt()}. Clock skew between node and control plane can make one
         * negative; the metrics exporter drops those.
         */
        public List<Duration> networkProgrammingLatencies() {
            List<Duration> out = new ArrayList<>(state.changeTriggerTimes().size());
            for (Instant t : state.changeTriggerTimes()) {
                out.add(Duration.between(t, appliedAt));
            }
            return out;
        }
    }

    /**
     * Applies the pending changes. A sync is <em>full</em>, in kube-proxy's sense (its
     * {@code sync_full_proxy_rules_duration_seconds}), when it is the first, follows a failed one, sees the node
     * change (zone, NodePort addresses: every Service is reconsidered), or comes {@link #FULL_SYNC_PERIOD} after the
     * last full one; any other sync is <em>partial</em>: it applies only the Service and EndpointSlice changes
     * handed over, so an endpoint-only change is always partial.
     */
    public SyncReport sync() {
        long start = System.nanoTime();
        NodeContext context = node.get();
        boolean full = needFullSync || !context.equals(lastNode)
                || start - lastFullSyncNanos >= FULL_SYNC_PERIOD.toNanos();
        lastSyncFull = full;
        needFullSync = true;
        ClusterState state = tracker.checkout();
        BuildResult built = builder.build(state, context, served);
        reportNewProblems(built.problems());
        boolean addressesSynced = syncAddresses(built.snapshot());
        ApplyResult applied = listeners.apply(built.snapshot());
        Instant appliedAt = Instant.now();
        trackLocalhostNodePorts(built.snapshot(), applied);
        served = built.snapshot();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        logSummary(built, applied, took);
        needFullSync = false;
        lastNode = context;
        if (full) {
            lastFullSyncNanos = start;
        }
        return new SyncReport(built, applied, state, took, addressesSynced, appliedAt, full);
    }

    /**
     * Keeps {@link #localhostNodePorts(boolean)} current from what the apply bound and closed: costs what changed,
     * never a walk over every listener.
     */
    private void trackLocalhostNodePorts(ProxySnapshot snapshot, ApplyResult applied) {
        localhostNodePorts.removeAll(applied.closed());
        for (ListenerKey key : applied.bound()) {
            Route route = snapshot.routes().get(key);
            if (route != null && route.frontend() == FrontendKind.NODE_PORT
                    && key.address().getAddress().isLoopbackAddress()) {
                localhostNodePorts.add(key);
            }
        }
    }

    /**
     * How many NodePort listeners (TCP and UDP) are bound on loopback addresses of one family now: what KEP-6032's
     * {@code kubeproxy_localhost_nodeport_listeners} reports. Safe from any thread.
     */
    public long localhostNodePorts(boolean ipv6) {
        long n = 0;
        for (ListenerKey key : localhostNodePorts) {
            n += (key.address().getAddress() instanceof Inet6Address) == ipv6 ? 1 : 0;
        }
        return n;
    }

    /** Whether the last sync started, finished or not, was a full one; for timing a sync that threw. */
    public boolean lastSyncFull() {
        return lastSyncFull;
    }

    /** How many syncs could not make their Service addresses local. */
    public long addressSyncFailures() {
        return addressSyncFailures.sum();
    }

    /** Logs a failure when it first appears (at debug while it repeats) and once when it clears. */
    private boolean syncAddresses(ProxySnapshot snapshot) {
        try {
            addresses.sync(ServiceAddressSync.of(snapshot));
            if (reportedAddressFailure != null) {
                log.info("Service addresses are in place again");
                reportedAddressFailure = null;
            }
            return true;
        } catch (RuntimeException e) {
            addressSyncFailures.increment();
            String message = String.valueOf(e.getMessage());
            if (message.equals(reportedAddressFailure)) {
                log.debug("Service addresses still failing: {}", message);
            } else {
                log.warn("could not make the Service addresses local (listeners on them cannot bind); retrying"
                        + " soon: {}", message);
                reportedAddressFailure = message;
            }
            return false;
        }
    }

    /** The snapshot of the last sync. */
    public ProxySnapshot served() {
        return served;
    }

    /** Logs each problem once, when it first appears, rather than at every sync while it lasts. */
    private void reportNewProblems(List<String> problems) {
        Set<String> now = new HashSet<>(problems);
        for (String p : problems) {
            if (!reportedProblems.contains(p)) {
                log.warn("{}", p);
            }
        }
        reportedProblems = now;
    }

    private static void logSummary(BuildResult built, ApplyResult applied, Duration took) {
        BuildResult.Counts c = built.counts();
        log.info("sync: {} services, {} service ports, {} listeners ({} new, {} closed, {} re-routed, {} failed),"
                        + " {} without endpoints, in {} ms",
                c.services(), c.servicePorts(), c.listeners(), applied.bound().size(), applied.closed().size(),
                applied.diff().routeChanged().size(), applied.bindFailures().size(), c.listenersWithoutEndpoints(),
                took.toMillis());
    }
}
