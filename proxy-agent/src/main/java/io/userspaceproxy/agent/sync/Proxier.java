package io.userspaceproxy.agent.sync;

import io.userspaceproxy.core.listen.ApplyResult;
import io.userspaceproxy.core.listen.ListenerSet;
import io.userspaceproxy.core.model.ProxySnapshot;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One sync, as a table of contents: take the pending changes, build the snapshot, apply it to the listeners,
 * report. Runs only on the {@link SyncRunner}'s thread, so its fields need no synchronisation.
 */
public final class Proxier {

    private static final Logger log = LoggerFactory.getLogger(Proxier.class);

    private final ChangeTracker tracker;
    private final SnapshotBuilder builder;
    private final Supplier<NodeContext> node;
    private final ListenerSet listeners;

    private ProxySnapshot served = ProxySnapshot.EMPTY;
    private Set<String> reportedProblems = Set.of();

    public Proxier(ChangeTracker tracker, SnapshotBuilder builder, Supplier<NodeContext> node, ListenerSet listeners) {
        this.tracker = tracker;
        this.builder = builder;
        this.node = node;
        this.listeners = listeners;
    }

    /** What one sync did, for the runner, health and metrics. */
    public record SyncReport(BuildResult built, ApplyResult applied, ClusterState state, Duration took) {

        /** True when some listener could not be bound and a retry should come soon. */
        public boolean needsRetry() {
            return !applied.bindFailures().isEmpty();
        }
    }

    public SyncReport sync() {
        long start = System.nanoTime();
        ClusterState state = tracker.checkout();
        BuildResult built = builder.build(state, node.get(), served);
        reportNewProblems(built.problems());
        ApplyResult applied = listeners.apply(built.snapshot());
        served = built.snapshot();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        logSummary(built, applied, took);
        return new SyncReport(built, applied, state, took);
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
