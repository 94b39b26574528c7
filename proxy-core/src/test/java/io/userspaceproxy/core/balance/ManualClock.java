package io.userspaceproxy.core.balance;

import com.github.benmanes.caffeine.cache.Scheduler;
import java.time.Duration;
import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A clock and a timer that move only when the test says so: {@link #advance} runs every timer that falls due on the
 * way, in due order, on the calling thread. The time starts negative, as {@link System#nanoTime()}'s may.
 */
final class ManualClock implements LongSupplier, Scheduler {

    private record Timer(long dueNanos, long seq, Executor executor, Runnable task) {
    }

    private final PriorityQueue<Timer> timers = new PriorityQueue<>(
            Comparator.comparingLong(Timer::dueNanos).thenComparingLong(Timer::seq));
    private long nowNanos = -5_000_000_000L;
    private long seq;

    @Override
    public long getAsLong() {
        return nowNanos;
    }

    @Override
    public Future<?> schedule(Executor executor, Runnable command, long delay, TimeUnit unit) {
        timers.add(new Timer(nowNanos + unit.toNanos(delay), seq++, executor, command));
        return new CompletableFuture<Void>();
    }

    /** Moves the time on by {@code by}, running each timer at its moment. */
    void advance(Duration by) {
        long until = nowNanos + by.toNanos();
        Timer next;
        while ((next = timers.peek()) != null && next.dueNanos <= until) {
            timers.poll();
            nowNanos = Math.max(nowNanos, next.dueNanos);
            next.executor.execute(next.task);
        }
        nowNanos = until;
    }

    /** How many timers have not run yet. */
    int pending() {
        return timers.size();
    }
}
