package io.userspaceproxy.core.relay.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One event loop's timer on an embedded loop, whose clock only moves when the test says so. */
class ConnectionTimerTest {

    private static final long IDLE = Duration.ofSeconds(10).toNanos();
    private static final long CONNECT = Duration.ofMillis(250).toNanos();
    private static final long MS = Duration.ofMillis(1).toNanos();

    private final EmbeddedChannel loop = new EmbeddedChannel();
    private final ConnectionTimer timer = new ConnectionTimer(loop.eventLoop(), IDLE);
    private final List<Entry> timedOut = new ArrayList<>();

    private final class Entry extends TimerEntry {
        @Override
        void onTimeout() {
            timedOut.add(this);
        }
    }

    @BeforeEach
    void freezeTime() {
        loop.freezeTime(); // only advance() moves the timer's clock, however slow this thread is
    }

    @AfterEach
    void tearDown() {
        loop.finishAndReleaseAll();
    }

    private void advance(long nanos) {
        loop.advanceTimeBy(nanos, TimeUnit.NANOSECONDS);
        loop.runScheduledPendingTasks();
    }

    @Test
    void startIdle_nothingHappensForTheTimeout_timesOutThenAndNotBefore() {
        Entry a = new Entry();
        timer.startIdle(a);

        advance(IDLE - MS);
        assertThat(timedOut).isEmpty();

        advance(MS);
        assertThat(timedOut).containsExactly(a);
    }

    @Test
    void touch_oneOfTwoIsActive_onlyTheOtherTimesOut() {
        Entry quiet = new Entry();
        Entry active = new Entry();
        timer.startIdle(active);
        timer.startIdle(quiet);

        advance(IDLE / 2);
        timer.touch(active);
        advance(IDLE / 2);

        assertThat(timedOut).containsExactly(quiet);
        advance(IDLE / 2);
        assertThat(timedOut).containsExactly(quiet, active);
    }

    @Test
    void stopIdle_beforeTheTimeout_neverTimesOut() {
        Entry a = new Entry();
        timer.startIdle(a);

        timer.stopIdle(a);
        advance(2 * IDLE);

        assertThat(timedOut).isEmpty();
    }

    @Test
    void startConnect_attemptsOfDifferentTimeouts_eachTimesOutAtItsOwnDeadline() {
        Entry slow = new Entry();
        Entry fast = new Entry();
        timer.startConnect(slow, 4 * CONNECT);
        timer.startConnect(fast, CONNECT);

        advance(CONNECT);
        assertThat(timedOut).containsExactly(fast);

        advance(3 * CONNECT - MS);
        assertThat(timedOut).containsExactly(fast);
        advance(MS);
        assertThat(timedOut).containsExactly(fast, slow);
    }

    @Test
    void stopConnect_attemptCompletedInTime_neverTimesOut() {
        Entry attempt = new Entry();
        timer.startConnect(attempt, CONNECT);

        timer.stopConnect(attempt);
        advance(2 * CONNECT);

        assertThat(timedOut).isEmpty();
    }

    @Test
    void manyConnections_eachConnectingThenIdle_scheduleTheSweepOncePerDeadlineNotPerConnection() {
        for (int i = 0; i < 1_000; i++) {
            Entry connection = new Entry();
            Entry attempt = new Entry();
            timer.startIdle(connection);
            timer.startConnect(attempt, CONNECT);
            timer.stopConnect(attempt);
            if (i % 100 == 99) {
                advance(MS);
            }
        }
        // The first connection armed the idle sweep, its connect the earlier connect deadline; nothing else did.
        assertThat(timer.schedules()).isEqualTo(2);

        advance(CONNECT);
        assertThat(timer.schedules()).as("the sweep re-armed once, for the oldest idle deadline").isEqualTo(3);
        assertThat(timedOut).isEmpty();
    }
}
