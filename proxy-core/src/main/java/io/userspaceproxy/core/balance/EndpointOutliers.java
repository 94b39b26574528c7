package io.userspaceproxy.core.balance;

import com.github.benmanes.caffeine.cache.Scheduler;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.HealthCheck;
import io.userspaceproxy.core.model.OutlierDetection;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;

/**
 * The connect record of every endpoint of one service port, shared by all its listeners (a dead pod is dead behind
 * the ClusterIP and the NodePort alike) and updated from any event loop. {@link #out} is the hot-path read: one
 * volatile read of the endpoints out of picks now, nearly always none. It never reads the clock: an ejection's end is
 * a timer on the {@link Scheduler} that takes the endpoint off that list. The rest runs only when a connect fails, a
 * health check changes its verdict, a timer fires, or one with a record succeeds.
 */
public final class EndpointOutliers {

    /** One endpoint's record; its methods are synchronized on it (contended only by failures of one endpoint). */
    private static final class Record {
        final Endpoint endpoint;
        int consecutive;
        int ejections;
        /** Meaningful once {@link #everEjected}: nanoTime's origin is arbitrary, so 0 is no "never". */
        volatile long ejectedUntil;
        volatile boolean everEjected;
        /** Active health check: failures or successes in a row, and the verdict (healthy until checked). */
        int checksFailed;
        int checksPassed;
        volatile boolean unhealthy;
        /** Totals since the record was made, for the per-endpoint view: failed connects, ejections. */
        final LongAdder failures = new LongAdder();
        volatile long ejectionsTotal;

        Record(Endpoint endpoint) {
            this.endpoint = endpoint;
        }

        boolean isOut(long now) {
            return everEjected && now - ejectedUntil < 0;
        }
    }

    static final Endpoint[] NONE_OUT = new Endpoint[0];
    /** Timers run on the scheduler's own thread: {@link #endEjection} is a few reads and, at most, a small rebuild. */
    private static final Executor ON_TIMER_THREAD = Runnable::run;

    private final Map<Endpoint, Record> records = new ConcurrentHashMap<>();
    private final LongSupplier ticker;
    private final Scheduler scheduler;
    /**
     * The endpoints out of picks (ejected, or unhealthy), a new array whenever one goes out or comes back: what a pick
     * reads, nearly always empty, and a handful of entries when not.
     */
    private volatile Endpoint[] outNow = NONE_OUT;

    EndpointOutliers(LongSupplier ticker, Scheduler scheduler) {
        this.ticker = ticker;
        this.scheduler = scheduler;
    }

    /**
     * The endpoints out of picks now, ejected or unhealthy by their active health check; the same array until that
     * set changes, so a caller may key what it derives from it on the array's identity. Never modify it.
     */
    Endpoint[] out() {
        return outNow;
    }

    /** Rebuilds {@link #outNow} from the records. */
    private synchronized void refreshOut() {
        long now = ticker.getAsLong();
        List<Endpoint> out = new ArrayList<>();
        for (Record r : records.values()) {
            if (r.unhealthy || r.isOut(now)) {
                out.add(r.endpoint);
            }
        }
        outNow = out.isEmpty() ? NONE_OUT : out.toArray(NONE_OUT);
    }

    /** The timer of {@code r}'s ejection: back into picks, or wait on if the timer came early or it was re-ejected. */
    private void endEjection(Record r) {
        long left = r.ejectedUntil - ticker.getAsLong();
        if (left > 0) {
            scheduler.schedule(ON_TIMER_THREAD, () -> endEjection(r), left, TimeUnit.NANOSECONDS);
        } else {
            refreshOut();
        }
    }

    /**
     * A connect to {@code endpoint} failed. Ejects it when that makes {@code detection.consecutive()} in a row, it
     * is not out already, and one more out stays within {@code detection.maxPercent()} of {@code endpointCount}.
     *
     * @return true when this failure ejected the endpoint
     */
    boolean onFailure(Endpoint endpoint, int endpointCount, OutlierDetection detection,
            ServicePortCounters counters) {
        long now = ticker.getAsLong();
        Record r = records.computeIfAbsent(endpoint, Record::new);
        r.failures.increment();
        synchronized (r) {
            if (++r.consecutive < detection.consecutive() || r.isOut(now)) {
                return false;
            }
            if ((long) (ejectedAt(now) + 1) * 100 > (long) endpointCount * detection.maxPercent()) {
                return false; // too many out already: this one keeps its failures and stays in
            }
            r.consecutive = 0;
            r.ejections++;
            r.ejectionsTotal++;
            r.ejectedUntil = now + detection.ejectionNanos(r.ejections);
            r.everEjected = true;
        }
        refreshOut();
        endEjection(r);
        counters.onOutlierEjection();
        return true;
    }


    /** A connect to {@code endpoint} succeeded: its record is cleared, so a next ejection starts at the base time. */
    void onSuccess(Endpoint endpoint) {
        Record r = records.get(endpoint);
        if (r != null) {
            synchronized (r) {
                r.consecutive = 0;
                r.ejections = 0;
            }
        }
    }

    /**
     * The outcome of one active health check of {@code endpoint}: {@code check.unhealthy()} failures in a row mark it
     * unhealthy, {@code check.healthy()} successes in a row healthy again.
     *
     * @return true when this check changed the endpoint's verdict
     */
    public boolean onHealthCheck(Endpoint endpoint, boolean passed, HealthCheck check) {
        Record r = records.computeIfAbsent(endpoint, Record::new);
        synchronized (r) {
            if (passed) {
                r.checksFailed = 0;
                if (++r.checksPassed >= check.healthy() && r.unhealthy) {
                    r.unhealthy = false;
                    refreshOut();
                    return true;
                }
            } else {
                r.checksPassed = 0;
                if (++r.checksFailed >= check.unhealthy() && !r.unhealthy) {
                    r.unhealthy = true;
                    refreshOut();
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * What one endpoint's record says now, for the per-endpoint view and metrics.
     *
     * @param connectFailures failed connects since the record was made
     * @param ejections       ejections since then
     * @param ejectedForNanos how much longer the current ejection lasts; 0 when not ejected
     * @param unhealthy       whether the active health check holds it out
     */
    public record State(long connectFailures, long ejections, long ejectedForNanos, boolean unhealthy) {
    }

    /** Every endpoint that has a record (it failed a connect or was health-checked), with its state now. */
    public void forEach(BiConsumer<Endpoint, State> action) {
        long now = ticker.getAsLong();
        records.forEach((endpoint, r) -> action.accept(endpoint, new State(r.failures.sum(), r.ejectionsTotal,
                r.isOut(now) ? r.ejectedUntil - now : 0, r.unhealthy)));
    }

    /** How many endpoints are out at {@code now}. */
    int ejectedAt(long now) {
        int n = 0;
        for (Record r : records.values()) {
            if (r.isOut(now)) {
                n++;
            }
        }
        return n;
    }

    /** Forgets the endpoints not in {@code kept} (they left every route of the service port). */
    void retain(Collection<Endpoint> kept) {
        if (records.keySet().retainAll(kept)) {
            refreshOut();
        }
    }

    boolean isEmpty() {
        return records.isEmpty();
    }
}
