package io.userspaceproxy.core.relay.tcp;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Ticker;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The idle timeouts and connect timeouts of every proxied TCP connection on one event loop, kept by one scheduled
 * task instead of a task per connection and per connect attempt. Scheduling and cancelling a task per connection
 * put two entries per connection through the loop's priority queue (an O(log n) insertion, a promise, a cancel);
 * here a connection costs a few pointer writes.
 *
 * <ul>
 *   <li><b>Idle.</b> Connections are in a list ordered by their last activity: a read loop on either side stamps
 *       the connection and moves it to the tail (the ticker never goes back, so the list stays ordered). The sweep
 *       closes connections from the head while their timeout has passed, and stops at the first that is live.</li>
 *   <li><b>Connect.</b> Attempts in progress are in a second list with their deadlines. They are few at any moment
 *       (a connect on a LAN or loopback takes well under a millisecond), so the sweep looks at each of them.</li>
 * </ul>
 * The task is armed for the earliest deadline the timer knows; a new attempt re-arms it only when its deadline is
 * earlier than that (an idle entry appended at the tail never is). Under a steady stream of connections the task
 * therefore runs about once per connect timeout, however many connections come and go meanwhile.
 *
 * <p><b>Why reads alone.</b> Every write in a relay is caused by a read on the other side, so a connection on which
 * neither channel has read for the timeout is idle both ways, and a read loop is all that stamps it.
 * {@code IdleStateHandler} would instead turn each void write promise into a real one to see writes. A peer that
 * stopped reading stops the reads on the other side through backpressure, so it also ends in {@code IDLE_TIMEOUT}.
 *
 * <p>Confined to its event loop. Every connection of one {@link TcpConnectionTable} shares one idle timeout.
 */
final class ConnectionTimer implements Runnable {

    private final EventLoop loop;
    private final Ticker ticker;
    private final long idleTimeoutNanos;

    private final TimerList idle = new TimerList();
    private final TimerList connecting = new TimerList();
    private @Nullable ScheduledFuture<?> task;
    private long armedFor;
    private long schedules;

    /** @param idleTimeoutNanos zero when connections may stay idle forever */
    ConnectionTimer(EventLoop loop, long idleTimeoutNanos) {
        this.loop = loop;
        this.ticker = loop.ticker();
        this.idleTimeoutNanos = idleTimeoutNanos;
    }

    long nanoTime() {
        return ticker.nanoTime();
    }

    /** Starts watching {@code entry} for idleness, active as of now. No-op when idle timeouts are off. */
    void startIdle(TimerEntry entry) {
        if (idleTimeoutNanos > 0) {
            entry.stamp = ticker.nanoTime();
            idle.append(entry);
            arm(entry.stamp + idleTimeoutNanos);
        }
    }

    /** {@code entry} was active now: its idle timeout starts again. */
    void touch(TimerEntry entry) {
        if (idle.contains(entry)) {
            entry.stamp = ticker.nanoTime();
            idle.moveToTail(entry);
        }
    }

    void stopIdle(TimerEntry entry) {
        idle.remove(entry);
    }

    /** Starts the clock on a connect attempt that may take {@code timeoutNanos}. */
    void startConnect(TimerEntry attempt, long timeoutNanos) {
        attempt.stamp = ticker.nanoTime() + timeoutNanos;
        connecting.append(attempt);
        arm(attempt.stamp);
    }

    void stopConnect(TimerEntry attempt) {
        connecting.remove(attempt);
    }

    /** How often the sweep task has been scheduled: per loop and per timeout, never per connection (tests). */
    long schedules() {
        return schedules;
    }

    /** The sweep: times out what is due, then re-arms for what is left. */
    @Override
    public void run() {
        task = null;
        long now = ticker.nanoTime();
        TimerEntry e = connecting.head;
        while (e != null) {
            if (e.stamp - now <= 0) {
                connecting.remove(e);
                e.onTimeout();
                e = connecting.head; // the timeout may have started another attempt or ended other entries
            } else {
                e = e.next;
            }
        }
        while ((e = idle.head) != null && e.stamp + idleTimeoutNanos - now <= 0) {
            idle.remove(e);
            e.onTimeout();
        }
        rearm();
    }

    private void rearm() {
        TimerEntry oldest = idle.head;
        boolean due = oldest != null;
        long next = oldest != null ? oldest.stamp + idleTimeoutNanos : 0;
        for (TimerEntry e = connecting.head; e != null; e = e.next) {
            if (!due || e.stamp - next < 0) {
                next = e.stamp;
                due = true;
            }
        }
        if (due) {
            arm(next);
        }
    }

    private void arm(long deadline) {
        if (task != null) {
            if (armedFor - deadline <= 0) {
                return;
            }
            task.cancel(false);
        }
        armedFor = deadline;
        schedules++;
        task = loop.schedule(this, Math.max(0, deadline - ticker.nanoTime()), TimeUnit.NANOSECONDS);
    }
}
