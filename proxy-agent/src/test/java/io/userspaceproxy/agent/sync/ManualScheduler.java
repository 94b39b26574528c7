package io.userspaceproxy.agent.sync;

import java.time.Duration;
import java.util.Comparator;
import java.util.PriorityQueue;

/**
 * A {@link SyncScheduler} whose time moves only when the test says so: {@link #advance} runs every task that falls
 * due on the way, in due order, on the calling thread, with the time set to each task's due moment. The time starts
 * far from zero, so that only differences can matter.
 */
final class ManualScheduler implements SyncScheduler {

    private static final long START_NANOS = Long.MAX_VALUE - Duration.ofDays(1).toNanos();
    private static final int MAX_TASKS_PER_ADVANCE = 100_000;

    private record Task(long dueNanos, long seq, Runnable task) {
    }

    private final PriorityQueue<Task> queue = new PriorityQueue<>(
            Comparator.<Task>comparingLong(t -> t.dueNanos - START_NANOS).thenComparingLong(Task::seq));
    private long nowNanos = START_NANOS;
    private long seq;
    private boolean shutdown;

    @Override
    public long nanoTime() {
        return nowNanos;
    }

    @Override
    public void execute(Runnable task) {
        schedule(task, 0);
    }

    @Override
    public Timer schedule(Runnable task, long delayNanos) {
        if (shutdown) {
            return () -> { };
        }
        Task t = new Task(nowNanos + delayNanos, seq++, task);
        queue.add(t);
        return () -> queue.remove(t);
    }

    @Override
    public void shutdown() {
        shutdown = true;
        queue.clear();
    }

    /** Moves the time on by {@code by}, running each task as its moment comes; fails on a task that never ends. */
    void advance(Duration by) {
        long until = nowNanos + by.toNanos();
        Task next;
        int ran = 0;
        while ((next = queue.peek()) != null && next.dueNanos - until <= 0) {
            if (++ran > MAX_TASKS_PER_ADVANCE) {
                throw new AssertionError("a task reschedules itself without end, at " + elapsed());
            }
            queue.poll();
            nowNanos = next.dueNanos - nowNanos > 0 ? next.dueNanos : nowNanos;
            next.task.run();
        }
        nowNanos = until;
    }

    /** Runs what is due now, without moving the time. */
    void runDue() {
        advance(Duration.ZERO);
    }

    /** The time elapsed since this scheduler was made. */
    Duration elapsed() {
        return Duration.ofNanos(nowNanos - START_NANOS);
    }
}
