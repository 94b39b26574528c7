package io.userspaceproxy.agent.sync;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the sync on its own thread with the bounds of kube-proxy's {@code BoundedFrequencyRunner}:
 * <ul>
 *   <li><b>Minimum interval.</b> Two runs start at least {@code minInterval} apart (zero applies every change at
 *       once). Requests arriving before then, or while a sync runs, collapse into one run at the interval's end.</li>
 *   <li><b>Maximum interval.</b> Once {@link #start() started}, a run starts at most {@code maxInterval} after the
 *       previous one (or after the start), requested or not. The clock restarts at every run, so an agent kept busy
 *       by changes never adds a periodic run on top of them.</li>
 *   <li><b>Retry from the result.</b> A sync returns what it needs next: {@link Result#DONE}, or
 *       {@link Result#retryAfter} when part of it failed (a listener not bound, an address not added). A sync that
 *       throws is counted and retried after {@code max(minInterval, 1s)}. A retry never starts within
 *       {@code minInterval} of the previous run, and any run in between satisfies it.</li>
 * </ul>
 * Whichever of a request, a retry and the periodic run is due first wins; a later one never postpones it. A
 * {@code maxInterval} below {@code minInterval} acts as {@code minInterval}.
 *
 * <p>Thread-safety: {@link #request()} may be called from any thread (informer callbacks, the file watcher) and
 * never blocks; the sync itself only ever runs on this runner's thread. Time and that thread come from a
 * {@link SyncScheduler}, which tests drive by hand.
 */
public final class SyncRunner implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SyncRunner.class);
    private static final long MIN_FAILURE_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long NEVER = Long.MAX_VALUE;

    /** What a sync asks of the runner once it has returned. */
    public static final class Result {

        /** Nothing more: the next run comes with the next request or the maximum interval. */
        public static final Result DONE = new Result(-1);

        private final long retryNanos;

        private Result(long retryNanos) {
            this.retryNanos = retryNanos;
        }

        /** Run again {@code delay} after this sync ends (not before the minimum interval): part of it failed. */
        public static Result retryAfter(Duration delay) {
            if (delay.isNegative()) {
                throw new IllegalArgumentException("delay: " + delay + " (expected: >= 0)");
            }
            return new Result(delay.toNanos());
        }

        @Override
        public String toString() {
            return retryNanos < 0 ? "DONE" : "retryAfter(" + Duration.ofNanos(retryNanos) + ")";
        }
    }

    private final Supplier<Result> sync;
    private final long minIntervalNanos;
    private final long maxIntervalNanos;
    private final long failureRetryNanos;
    private final SyncScheduler scheduler;
    private final AtomicBoolean requested = new AtomicBoolean();
    private final AtomicLong runs = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile boolean closed;

    // Confined to the scheduler's thread.
    private boolean started;
    private boolean ranOnce;
    private long lastStartNanos;
    private long periodFromNanos;
    private boolean retrying;
    private long retryAtNanos;
    private SyncScheduler.@Nullable Timer timer;
    private long timerAtNanos;

    /** A runner on its own daemon thread called {@code name}, in real time. */
    public SyncRunner(String name, Supplier<Result> sync, Duration minInterval, Duration maxInterval) {
        this(sync, minInterval, maxInterval, SyncScheduler.onThread(name));
    }

    SyncRunner(Supplier<Result> sync, Duration minInterval, Duration maxInterval, SyncScheduler scheduler) {
        if (minInterval.isNegative()) {
            throw new IllegalArgumentException("minInterval: " + minInterval + " (expected: >= 0)");
        }
        if (maxInterval.isNegative() || maxInterval.isZero()) {
            throw new IllegalArgumentException("maxInterval: " + maxInterval + " (expected: > 0)");
        }
        this.sync = Objects.requireNonNull(sync, "sync");
        this.minIntervalNanos = minInterval.toNanos();
        this.maxIntervalNanos = maxInterval.toNanos();
        this.failureRetryNanos = Math.max(minIntervalNanos, MIN_FAILURE_RETRY_NANOS);
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    }

    /** Starts the maximum-interval clock, counted from now. Requests made before this are honoured too. */
    public void start() {
        scheduler.execute(this::onStart);
    }

    /** Asks for a run as soon as the minimum interval allows; pending requests collapse into one. Never blocks. */
    public void request() {
        if (!closed && requested.compareAndSet(false, true)) {
            scheduler.execute(this::tick);
        }
    }

    private void onStart() {
        if (!started) {
            started = true;
            periodFromNanos = scheduler.nanoTime();
        }
        tick();
    }

    private void onTimer() {
        timer = null;
        tick();
    }

    /** Runs the sync if it is due, then sets the one timer for whatever is due next. */
    private void tick() {
        if (closed) {
            return;
        }
        long now = scheduler.nanoTime();
        try {
            if (untilDue(now) <= 0) {
                run(now);
                now = scheduler.nanoTime();
            }
        } finally {
            if (!closed) {
                arm(now, untilDue(now));
            }
        }
    }

    /** Nanoseconds from {@code now} until the next run may start, {@link #NEVER} when none is wanted. */
    private long untilDue(long now) {
        long wait = requested.get() ? 0 : NEVER;
        if (retrying) {
            wait = Math.min(wait, retryAtNanos - now);
        }
        if (started) {
            wait = Math.min(wait, periodFromNanos + maxIntervalNanos - now);
        }
        if (wait == NEVER || !ranOnce) {
            return wait;
        }
        return Math.max(wait, lastStartNanos + minIntervalNanos - now);
    }

    private void run(long now) {
        requested.set(false);
        retrying = false;
        ranOnce = true;
        lastStartNanos = now;
        periodFromNanos = now;
        runs.incrementAndGet();
        long retryNanos;
        try {
            retryNanos = sync.get().retryNanos;
        } catch (RuntimeException e) {
            failures.incrementAndGet();
            retryNanos = failureRetryNanos;
            log.error("sync failed, retrying in {} ms", TimeUnit.NANOSECONDS.toMillis(retryNanos), e);
        }
        if (retryNanos >= 0) {
            retrying = true;
            retryAtNanos = scheduler.nanoTime() + retryNanos;
        }
    }

    private void arm(long now, long wait) {
        if (wait == NEVER) {
            cancelTimer();
            return;
        }
        long delay = Math.max(wait, 0);
        if (timer != null && timerAtNanos == now + delay) {
            return;
        }
        cancelTimer();
        timerAtNanos = now + delay;
        timer = scheduler.schedule(this::onTimer, delay);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel();
            timer = null;
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

    /** Stops the runner: a sync in progress finishes, none starts after, later requests do nothing. */
    @Override
    public void close() {
        closed = true;
        scheduler.shutdown();
    }
}
