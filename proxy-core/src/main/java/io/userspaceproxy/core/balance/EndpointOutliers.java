package io.userspaceproxy.core.balance;

import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.HealthCheck;
import io.userspaceproxy.core.model.OutlierDetection;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;

/**
 * The connect record of every endpoint of one service port, shared by all its listeners (a dead pod is dead behind
 * the ClusterIP and the NodePort alike) and updated from any event loop. {@link #isEjected} is the hot-path read: one
 * volatile read while nothing is ejected, which is nearly always; while something is, one map lookup, and the clock
 * only for an endpoint that has been ejected. The rest runs only when a connect fails or one with a record succeeds.
 */
public final class EndpointOutliers {

    /** One endpoint's record; its methods are synchronized on it (contended only by failures of one endpoint). */
    private static final class Record {
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

        boolean isOut(long now) {
            return everEjected && now - ejectedUntil < 0;
        }
    }

    /** {@link #anyEjectedUntil} when no ejection is running (nanoTime could take this value only by a fluke). */
    private static final long NONE = Long.MIN_VALUE;

    private final Map<Endpoint, Record> records = new ConcurrentHashMap<>();
    private final LongSupplier ticker;
    /** The latest end of a running ejection, or {@link #NONE}: before it some endpoint may be out, after it none. */
    private final AtomicLong anyEjectedUntil = new AtomicLong(NONE);

    EndpointOutliers(LongSupplier ticker) {
        this.ticker = ticker;
    }

    /** Endpoints the active health check holds unhealthy now. */
    private final AtomicInteger unhealthyNow = new AtomicInteger();

    /** Whether {@code endpoint} is out of picks now: ejected, or unhealthy by its active health check. */
    public boolean isEjected(Endpoint endpoint) {
        long until = anyEjectedUntil.get();
        if (until == NONE && unhealthyNow.get() == 0) {
            return false;
        }
        Record r = records.get(endpoint);
        if (r == null) {
            return false;
        }
        if (r.unhealthy) {
            return true;
        }
        if (until == NONE || !r.everEjected) {
            return false;
        }
        long now = ticker.getAsLong();
        if (now - until >= 0) {
            anyEjectedUntil.compareAndSet(until, NONE); // every ejection is over: back to the one-read path
            return false;
        }
        return r.isOut(now);
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
        Record r = records.computeIfAbsent(endpoint, e -> new Record());
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
            anyEjectedUntil.accumulateAndGet(r.ejectedUntil, EndpointOutliers::later);
        }
        counters.onOutlierEjection();
        return true;
    }

    private static long later(long current, long candidate) {
        return current == NONE || candidate - current > 0 ? candidate : current;
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
        Record r = records.computeIfAbsent(endpoint, e -> new Record());
        synchronized (r) {
            if (passed) {
                r.checksFailed = 0;
                if (++r.checksPassed >= check.healthy() && r.unhealthy) {
                    r.unhealthy = false;
                    unhealthyNow.decrementAndGet();
                    return true;
                }
            } else {
                r.checksPassed = 0;
                if (++r.checksFailed >= check.unhealthy() && !r.unhealthy) {
                    r.unhealthy = true;
                    unhealthyNow.incrementAndGet();
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
        records.entrySet().removeIf(e -> {
            if (kept.contains(e.getKey())) {
                return false;
            }
            if (e.getValue().unhealthy) {
                unhealthyNow.decrementAndGet();
            }
            return true;
        });
    }

    boolean isEmpty() {
        return records.isEmpty();
    }
}
