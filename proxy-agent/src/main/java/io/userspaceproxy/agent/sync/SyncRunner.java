package io.userspaceproxy.agent.sync;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the sync on its own thread, as kube-proxy's bounded-frequency runner does: requests arriving while a sync
 * is pending collapse into one; two syncs start at least {@code minInterval} apart (zero applies every change at
 * once); a full sync runs at least every {@code maxInterval} even without requests; a sync that throws is retried
 * after {@code max(minInterval, 1s)}.
 *
 * <p>Thread-safety: {@link #request()} may be called from any thread (informer callbacks, the file watcher) and
 * never blocks; the sync itself only ever runs on this runner's thread.
 */
public final class SyncRunner implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SyncRunner.class);
    private static final long MIN_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Runnable sync;
    private final long minIntervalNanos;
    private final long maxIntervalNanos;
    private final ScheduledExecutorService executor;
    private final AtomicBoolean pending = new AtomicBoolean();
    private final AtomicLong runs = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();

    // Confined to the executor thread.
    private long lastStartNanos;
    private boolean ranOnce;

    public SyncRunner(String name, Runnable sync, Duration minInterval, Duration maxInterval) {
        this.sync = sync;
        this.minIntervalNanos = minInterval.toNanos();
        this.maxIntervalNanos = maxInterval.toNanos();
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts the periodic full sync. Requests made before this are honoured too. */
    public void start() {
        executor.scheduleWithFixedDelay(this::request, maxIntervalNanos, maxIntervalNanos, TimeUnit.NANOSECONDS);
    }

    /** Asks for a sync soon; requests made before it starts collapse into one. Never blocks. */
    public void request() {
        if (pending.compareAndSet(false, true)) {
            executor.execute(this::runWhenDue);
        }
    }

    /** Asks for a sync after {@code delay} (a retry after a partial failure); never blocks. */
    public void requestAfter(Duration delay) {
        executor.schedule(this::request, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void runWhenDue() {
        long wait = ranOnce ? lastStartNanos + minIntervalNanos - System.nanoTime() : 0;
        if (wait > 0) {
            executor.schedule(this::runWhenDue, wait, TimeUnit.NANOSECONDS);
            return;
        }
        pending.set(false);
        ranOnce = true;
        lastStartNanos = System.nanoTime();
        runs.incrementAndGet();
        try {
            sync.run();
        } catch (RuntimeException e) {
            failures.incrementAndGet();
            long retry = Math.max(minIntervalNanos, MIN_RETRY_NANOS);
            log.error("sync failed, retrying in {} ms", TimeUnit.NANOSECONDS.toMillis(retry), e);
            executor.schedule(this::request, retry, TimeUnit.NANOSECONDS);
        }
    }

    /** How many syncs have started. */
    public long runs() {
        return runs.get();
    }

    /** How many syncs have thrown. */
    public long failures() {
        return failures.get();
    }

    /** Stops the runner; a sync in progress finishes, none starts after. */
    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
