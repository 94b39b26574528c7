package io.userspaceproxy.agent.health;

import io.userspaceproxy.agent.http.Json;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * kube-proxy's health rule: the proxy is healthy unless a change has been pending for at least
 * {@code 2 × syncPeriod} without a successful sync since. A proxy that has seen no change is healthy, so a
 * starting proxy is healthy until a change it cannot apply ages out.
 *
 * <p>Threading: every method is safe from any thread. Watches call {@link #onQueued()} from their callbacks,
 * the sync loop calls {@link #onSynced()}, HTTP threads call {@link #probe(Probe)}; all are lock-free.
 *
 * <p>Probe results are counted per probe and status code here, so that the metrics exporter can read them on
 * scrape ({@code kubeproxy_proxy_healthz_total{code}}, {@code kubeproxy_proxy_livez_total{code}}) without this
 * package knowing about Prometheus.
 */
public final class SyncHealth {

    /** The taint the cluster autoscaler puts on a node it is about to delete. */
    public static final String TO_BE_DELETED_TAINT = "ToBeDeletedByClusterAutoscaler";

    /** Go's zero time, which kube-proxy reports as lastUpdated before the first sync; keeps the field a string. */
    private static final Instant NEVER = Instant.parse("0001-01-01T00:00:00Z");

    private final Clock clock;
    private final Duration timeout;
    private final AtomicReference<Pending> pending = new AtomicReference<>();
    private volatile @Nullable Instant lastUpdated;
    private volatile boolean nodeEligible = true;
    private volatile @Nullable String sourceStopped;
    private final LongAdder[] probes = new LongAdder[Probe.values().length * 2];

    private SyncHealth(Duration syncPeriod, Clock clock) {
        Objects.requireNonNull(syncPeriod, "syncPeriod");
        if (syncPeriod.isNegative() || syncPeriod.isZero()) {
            throw new IllegalArgumentException("syncPeriod: " + syncPeriod + " (expected: > 0)");
        }
        this.clock = Objects.requireNonNull(clock, "clock");
        this.timeout = syncPeriod.multipliedBy(2);
        for (int i = 0; i < probes.length; i++) {
            probes[i] = new LongAdder();
        }
    }

    /** A health tracker that tolerates a pending change for {@code 2 × syncPeriod}, reading time from {@code clock}. */
    public static SyncHealth create(Duration syncPeriod, Clock clock) {
        return new SyncHealth(syncPeriod, clock);
    }

    /** How long a change may stay pending before the proxy is unhealthy: {@code 2 × syncPeriod}. */
    public Duration timeout() {
        return timeout;
    }

    /**
     * A change that needs a sync was received. Only the first change since the last sync starts the clock:
     * later ones do not make an already waiting change look younger.
     */
    public void onQueued() {
        Instant now = clock.instant();
        pending.updateAndGet(p -> p == null ? new Pending(now, now) : new Pending(p.oldest(), now));
    }

    /** A sync applied everything pending: the proxy is healthy again and lastUpdated is now (kube-proxy's Updated()). */
    public void onSynced() {
        pending.set(null);
        lastUpdated = clock.instant();
    }

    /**
     * A sync that took its changes at {@code startedAt} succeeded. Unlike {@link #onSynced()} (kube-proxy's rule),
     * a change queued after {@code startedAt}, so missing from what was applied, stays pending and keeps ageing:
     * a sync loop that hangs right after such a change is still reported. When older changes were applied too, the
     * change's age is counted from the newest queued time, which can only understate it: never a false 503.
     */
    public void onSynced(Instant startedAt) {
        Objects.requireNonNull(startedAt, "startedAt");
        pending.updateAndGet(p -> p == null || !p.newest().isAfter(startedAt) ? null
                : new Pending(p.oldest().isAfter(startedAt) ? p.oldest() : p.newest(), p.newest()));
        lastUpdated = clock.instant();
    }

    /**
     * Whether the node may receive external traffic. A node being deleted, or tainted {@link #TO_BE_DELETED_TAINT},
     * makes {@code /healthz} answer 503 so load balancers drain it, while {@code /livez} stays 200.
     */
    public void setNodeEligible(boolean eligible) {
        this.nodeEligible = eligible;
    }

    /** kube-proxy's eligibility rule for a node: not being deleted and not tainted {@link #TO_BE_DELETED_TAINT}. */
    public static boolean isNodeEligible(boolean beingDeleted, Collection<String> taintKeys) {
        return !beingDeleted && !taintKeys.contains(TO_BE_DELETED_TAINT);
    }

    /**
     * The source of Services and endpoints (the manifest watch) stopped for good: changes can no longer arrive, so
     * both probes answer 503 from now on, naming {@code reason}, and a restart is what helps.
     */
    public void onSourceStopped(String reason) {
        sourceStopped = Objects.requireNonNull(reason, "reason");
    }

    public boolean nodeEligible() {
        return nodeEligible;
    }

    /** True unless a change has been pending for {@link #timeout()} or longer. Ignores node eligibility. */
    public boolean healthy() {
        return healthyAt(clock.instant());
    }

    /** When the last successful sync finished; empty before the first. */
    public Optional<Instant> lastUpdated() {
        return Optional.ofNullable(lastUpdated);
    }

    /** When the oldest change not yet synced arrived; empty when nothing is pending. */
    public Optional<Instant> oldestPending() {
        Pending p = pending.get();
        return p == null ? Optional.empty() : Optional.of(p.oldest());
    }

    /**
     * Answers {@code probe} now and counts the answer. As kube-proxy does for compatibility with older releases,
     * a healthy answer reports lastUpdated as the current time; an unhealthy one reports the last successful sync.
     */
    public ProbeResult probe(Probe probe) {
        Instant now = clock.instant();
        boolean eligible = nodeEligible;
        boolean healthy = healthyAt(now) && (probe == Probe.LIVEZ || eligible);
        Instant updated = healthy ? now : Objects.requireNonNullElse(lastUpdated, NEVER);
        StringBuilder json = new StringBuilder(128)
                .append("{\"lastUpdated\": \"").append(updated)
                .append("\", \"currentTime\": \"").append(now).append('"');
        if (probe == Probe.HEALTHZ) {
            json.append(", \"nodeEligible\": ").append(eligible);
        }
        String stopped = sourceStopped;
        if (stopped != null) {
            Json.quote(json.append(", \"sourceStopped\": "), stopped);
        }
        json.append('}');
        int status = healthy ? 200 : 503;
        probes[index(probe, status)].increment();
        return new ProbeResult(status, json.toString());
    }

    /** How many {@code probe}s were answered with {@code statusCode} (200 or 503). */
    public long probes(Probe probe, int statusCode) {
        if (statusCode != 200 && statusCode != 503) {
            throw new IllegalArgumentException("statusCode: " + statusCode + " (expected: 200 or 503)");
        }
        return probes[index(probe, statusCode)].sum();
    }

    private boolean healthyAt(Instant now) {
        if (sourceStopped != null) {
            return false;
        }
        Pending p = pending.get();
        return p == null || Duration.between(p.oldest(), now).compareTo(timeout) < 0;
    }

    /** The first and the last change queued since the last sync; replaced whole, so read consistently. */
    private record Pending(Instant oldest, Instant newest) {
    }

    private static int index(Probe probe, int status) {
        return probe.ordinal() * 2 + (status == 200 ? 0 : 1);
    }
}
