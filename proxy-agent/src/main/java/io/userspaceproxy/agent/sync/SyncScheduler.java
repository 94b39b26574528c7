package io.userspaceproxy.agent.sync;

import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The time and the one thread a {@link SyncRunner} runs on. Production uses {@link #onThread(String)}; tests drive a
 * hand-cranked one, so that every interval can be checked to the nanosecond without sleeping.
 *
 * <p>Tasks given to {@link #execute} and {@link #schedule} run one at a time, in due order, on the same thread.
 */
interface SyncScheduler {

    /** A monotonic time in nanoseconds, as {@link System#nanoTime()}; only differences mean anything. */
    long nanoTime();

    /** Runs {@code task} soon on the scheduler's thread; never blocks, and does nothing once shut down. */
    void execute(Runnable task);

    /** Runs {@code task} on the scheduler's thread after {@code delayNanos}; does nothing once shut down. */
    Timer schedule(Runnable task, long delayNanos);

    /** Runs no task from now on; waits a little for the one running, if any. */
    void shutdown();

    /** A scheduled task that has not run yet. */
    interface Timer {

        /** Keeps the task from running; no effect once it has. */
        void cancel();
    }

    /** The real-time scheduler: one daemon thread called {@code name}. */
    static SyncScheduler onThread(String name) {
        return new RealTime(name);
    }

    /** {@link System#nanoTime()} and a single-thread executor; cancelled timers leave its queue at once. */
    final class RealTime implements SyncScheduler {

        private static final long SHUTDOWN_WAIT_SECONDS = 5;

        private final ScheduledThreadPoolExecutor executor;

        private RealTime(String name) {
            executor = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, name);
                t.setDaemon(true);
                return t;
            });
            executor.setRemoveOnCancelPolicy(true);
        }

        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public void execute(Runnable task) {
            try {
                executor.execute(task);
            } catch (RejectedExecutionException e) {
                // Shut down: nothing is to run any more.
            }
        }

        @Override
        public Timer schedule(Runnable task, long delayNanos) {
            try {
                Future<?> future = executor.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
                return () -> future.cancel(false);
            } catch (RejectedExecutionException e) {
                return () -> { };
            }
        }

        @Override
        public void shutdown() {
            executor.shutdownNow();
            try {
                executor.awaitTermination(SHUTDOWN_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
