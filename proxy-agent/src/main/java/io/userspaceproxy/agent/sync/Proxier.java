package io.userspaceproxy.agent.sync;

import io.userspaceproxy.core.listen.ApplyResult;
import io.userspaceproxy.core.listen.ListenerSet;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Route;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
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

    private final LocalFacts localFacts = new LocalFacts();
    /** True until a sync succeeds, and again after one fails: the next sync is then a full one. */
    private boolean needFullSync = true;
    private @Nullable NodeContext lastNode;
    private long lastFullSyncNanos;
    private boolean lastSyncFull;
    /** The bound NodePort listeners on loopback addresses (KEP-6032's localhost NodePorts), kept per apply. */
    private final Set<ListenerKey> localhostNodePorts = ConcurrentHashMap.newKeySet();
    private Set<String> reportedProblems = Set.of();
    private @Nullable String reportedAddressFailure;
    /** False after a failed address sync: the next sync tries again even if no address changed. */
    private boolean addressesInPlace;

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
    public record SyncReport(RouteUpdate built, ApplyResult applied, int changedServices, int changedEndpointSlices,
            List<Instant> changeTriggerTimes, Duration took, boolean addressesSynced, Instant appliedAt,
            boolean full) {

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
            List<Duration> out = new ArrayList<>(changeTriggerTimes.size());
            for (Instant t : changeTriggerTimes) {
                out.add(Duration.between(t, appliedAt));
            }
            return out;
        }
    }

    /**
     * Applies the pending changes. A sync is <em>full</em>, in kube-proxy's sense (its
     * {@code sync_full_proxy_rules_duration_seconds}), when it is the first, follows a failed one, sees the node
     * change (zone, NodePort addresses: every Service is reconsidered), or comes {@link #FULL_SYNC_PERIOD} after the
     * last full one: it takes the whole state. Any other sync is <em>partial</em>: it takes only the Services whose
     * object or slices changed ({@link ChangeTracker#checkoutChanges()}) and costs what they changed, so an
     * endpoint-only change is always partial and cheap.
     */
    public SyncReport sync() {
        long start = System.nanoTime();
        NodeContext context = node.get();
        boolean full = needFullSync || !context.equals(lastNode)
                || start - lastFullSyncNanos >= FULL_SYNC_PERIOD.toNanos();
        lastSyncFull = full;
        needFullSync = true;
        RouteUpdate built;
        Checkout checkout;
        if (full) {
            ClusterState state = tracker.checkout();
            built = builder.rebuild(state, context);
            localFacts.replaceAll(state, context.nodeName());
            checkout = state;
        } else {
            ClusterChanges changes = tracker.checkoutChanges();
            built = builder.apply(changes, context);
            localFacts.apply(changes, context.nodeName());
            checkout = changes;
        }
        reportNewProblems(built.problems());
        boolean addressesSynced = full || builder.serviceAddressesChanged() || !addressesInPlace
                ? syncAddresses(builder.serviceAddresses()) : true;
        ApplyResult applied = listeners.apply(built.changes());
        Instant appliedAt = Instant.now();
        trackLocalhostNodePorts(applied);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        logSummary(built, applied, took, full);
        needFullSync = false;
        lastNode = context;
        if (full) {
            lastFullSyncNanos = start;
        }
        return new SyncReport(built, applied, checkout.changedServices(), checkout.changedEndpointSlices(),
                checkout.changeTriggerTimes(), took, addressesSynced, appliedAt, full);
    }

    /**
     * Keeps {@link #localhostNodePorts(boolean)} current from what the apply bound and closed: costs what changed,
     * never a walk over every listener.
     */
    private void trackLocalhostNodePorts(ApplyResult applied) {
        localhostNodePorts.removeAll(applied.closed());
        for (ListenerKey key : applied.bound()) {
            Route route = builder.routes().get(key);
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
    private boolean syncAddresses(Set<InetAddress> wanted) {
        addressesInPlace = false;
        try {
            addresses.sync(wanted);
            addressesInPlace = true;
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

    /** Loads and links the per-change path on a scratch copy ({@link SyncWarmUp}); call on the sync thread. */
    public void warmUp() {
        SyncWarmUp.run(builder.defaultUdpTimeout());
    }

    /** The route every listener serves after the last sync; a live read-only view, safe to read from any thread. */
    public Map<ListenerKey, Route> served() {
        return builder.routes();
    }

    /** The health-check and no-local-endpoints facts after the last sync. */
    public LocalFacts localFacts() {
        return localFacts;
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

    /** One line per sync that changed something (INFO); a sync that changed nothing says so at DEBUG. */
    private static void logSummary(RouteUpdate built, ApplyResult applied, Duration took, boolean full) {
        BuildResult.Counts c = built.counts();
        boolean changed = !built.changes().isEmpty() || !applied.bound().isEmpty()
                || !applied.bindFailures().isEmpty();
        if (changed ? !log.isInfoEnabled() : !log.isDebugEnabled()) {
            return;
        }
        String line = String.format("sync (%s): %d services, %d service ports, %d listeners (%d new, %d closed,"
                        + " %d re-routed, %d failed), %d without endpoints, in %.1f ms", full ? "full" : "partial",
                c.services(), c.servicePorts(), c.listeners(), applied.bound().size(), applied.closed().size(),
                applied.diff().routeChanged().size(), applied.bindFailures().size(), c.listenersWithoutEndpoints(),
                took.toNanos() / 1e6);
        if (changed) {
            log.info(line);
        } else {
            log.debug(line);
        }
    }
}
