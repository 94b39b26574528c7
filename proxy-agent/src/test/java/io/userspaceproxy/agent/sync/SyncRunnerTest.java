package io.userspaceproxy.agent.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The runner's bounds, checked to the nanosecond on a hand-driven clock; one test on the real thread. */
@Timeout(30)
class SyncRunnerTest {

    private static final Duration MIN = Duration.ofSeconds(1);
    private static final Duration MAX = Duration.ofSeconds(30);
    private static final Duration NANO = Duration.ofNanos(1);

    private final ManualScheduler clock = new ManualScheduler();
    private final Deque<Supplier<SyncRunner.Result>> script = new ArrayDeque<>();
    private final List<Duration> starts = new ArrayList<>();

    /** Records when each run starts and answers with the next scripted result, then {@code DONE}. */
    private SyncRunner.Result sync() {
        starts.add(clock.elapsed());
        Supplier<SyncRunner.Result> next = script.poll();
        return next == null ? SyncRunner.Result.DONE : next.get();
    }

    private SyncRunner runner(Duration minInterval, Duration maxInterval) {
        return new SyncRunner(this::sync, minInterval, maxInterval, clock);
    }

    private static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }

    @Test
    void request_first_runsAtOnce() {
        SyncRunner runner = runner(MIN, MAX);
        runner.request();
        clock.runDue();
        assertThat(starts).containsExactly(Duration.ZERO);
        assertThat(runner.runs()).isOne();
    }

    @Test
    void request_burstWithinMinInterval_collapsesIntoOneRunAtItsEnd() {
        SyncRunner runner = runner(MIN, MAX);
        runner.request();
        clock.runDue();
        clock.advance(ms(100));
        for (int i = 0; i < 100; i++) {
            runner.request();
            clock.advance(ms(1));
        }

        clock.advance(MIN.minus(ms(200)).minus(NANO));
        assertThat(starts).as("not before the minimum interval").containsExactly(Duration.ZERO);
        clock.advance(NANO);
        assertThat(starts).containsExactly(Duration.ZERO, MIN);
        clock.advance(Duration.ofHours(1));
        assertThat(starts).as("every request was served by that one run").hasSize(2);
        assertThat(runner.runs()).isEqualTo(2);
    }

    @Test
    void request_duringSync_runsOnceMoreAfterMinInterval() {
        SyncRunner[] runner = new SyncRunner[1];
        script.add(() -> {
            for (int i = 0; i < 5; i++) {
                runner[0].request();
            }
            return SyncRunner.Result.DONE;
        });
        runner[0] = runner(MIN, MAX);
        runner[0].request();
        clock.advance(Duration.ofHours(1));
        assertThat(starts).containsExactly(Duration.ZERO, MIN);
    }

    @Test
    void request_minIntervalZero_eachRequestRunsAtOnce() {
        SyncRunner runner = runner(Duration.ZERO, MAX);
        for (int i = 0; i < 5; i++) {
            runner.request();
            clock.runDue();
        }
        assertThat(starts).hasSize(5).containsOnly(Duration.ZERO);
    }

    @Test
    void request_beforeStart_runsButNoPeriodicRunUntilStarted() {
        SyncRunner runner = runner(MIN, MAX);
        runner.request();
        clock.advance(Duration.ofHours(1));
        runner.start();
        clock.advance(MAX);
        assertThat(starts).containsExactly(Duration.ZERO, Duration.ofHours(1).plus(MAX));
    }

    @Test
    void start_noRequests_runsEveryMaxInterval() {
        SyncRunner runner = runner(MIN, MAX);
        runner.start();
        clock.advance(MAX.minus(NANO));
        assertThat(starts).isEmpty();
        clock.advance(NANO.plus(MAX));
        assertThat(starts).containsExactly(MAX, MAX.multipliedBy(2));
    }

    @Test
    void start_requestedRun_resetsMaxInterval() {
        SyncRunner runner = runner(MIN, MAX);
        runner.start();
        clock.advance(Duration.ofSeconds(20));
        runner.request();
        clock.advance(MAX.minus(NANO));
        assertThat(starts).as("no periodic run at 30 s, right after the requested one")
                .containsExactly(Duration.ofSeconds(20));
        clock.advance(NANO);
        assertThat(starts).containsExactly(Duration.ofSeconds(20), Duration.ofSeconds(50));
    }

    @Test
    void retryResult_runsAgainAfterItsDelay() {
        script.add(() -> SyncRunner.Result.retryAfter(Duration.ofSeconds(1)));
        SyncRunner runner = runner(ms(100), MAX);
        runner.request();
        clock.advance(Duration.ofHours(1));
        assertThat(starts).as("one retry; the retry's DONE ends it").containsExactly(Duration.ZERO, Duration.ofSeconds(1));
        assertThat(runner.failures()).isZero();
    }

    @Test
    void retryResult_shorterThanMinInterval_waitsForMinInterval() {
        script.add(() -> SyncRunner.Result.retryAfter(Duration.ofSeconds(1)));
        SyncRunner runner = runner(Duration.ofSeconds(2), MAX);
        runner.request();
        clock.advance(Duration.ofSeconds(2).minus(NANO));
        assertThat(starts).containsExactly(Duration.ZERO);
        clock.advance(NANO);
        assertThat(starts).containsExactly(Duration.ZERO, Duration.ofSeconds(2));
    }

    @Test
    void retryResult_laterThanRequest_requestRunsFirstAndSatisfiesIt() {
        script.add(() -> SyncRunner.Result.retryAfter(Duration.ofSeconds(5)));
        SyncRunner runner = runner(MIN, MAX);
        runner.request();
        clock.advance(ms(1_500));
        runner.request();
        clock.advance(Duration.ofHours(1));
        assertThat(starts).containsExactly(Duration.ZERO, ms(1_500));
    }

    @Test
    void retryResult_laterThanMaxInterval_periodicRunComesFirst() {
        script.add(() -> SyncRunner.Result.retryAfter(Duration.ofMinutes(10)));
        SyncRunner runner = runner(MIN, MAX);
        runner.start();
        runner.request();
        clock.advance(Duration.ofMinutes(1));
        assertThat(starts).containsExactly(Duration.ZERO, MAX, MAX.multipliedBy(2));
    }

    @Test
    void sync_throws_retriedAfterOneSecondAndCounted() {
        script.add(() -> {
            throw new IllegalStateException("boom");
        });
        SyncRunner runner = runner(Duration.ZERO, MAX);
        runner.request();
        clock.advance(Duration.ofSeconds(1).minus(NANO));
        assertThat(starts).containsExactly(Duration.ZERO);
        clock.advance(Duration.ofHours(1));
        assertThat(starts).containsExactly(Duration.ZERO, Duration.ofSeconds(1));
        assertThat(runner.failures()).isOne();
    }

    @Test
    void sync_throwsWithLongerMinInterval_retriedAfterMinInterval() {
        script.add(() -> {
            throw new IllegalStateException("boom");
        });
        SyncRunner runner = runner(Duration.ofSeconds(3), MAX);
        runner.request();
        clock.advance(Duration.ofHours(1));
        assertThat(starts).containsExactly(Duration.ZERO, Duration.ofSeconds(3));
    }

    @Test
    void close_requestsAndPendingRetry_ignored() {
        script.add(() -> SyncRunner.Result.retryAfter(Duration.ofSeconds(1)));
        SyncRunner runner = runner(Duration.ZERO, MAX);
        runner.start();
        runner.request();
        clock.runDue();
        runner.close();
        runner.request();
        runner.start();
        clock.advance(Duration.ofHours(1));
        assertThat(starts).containsExactly(Duration.ZERO);
        assertThat(runner.runs()).isOne();
    }

    @Test
    void realTime_syncRunsOnNamedDaemonThread_requestsDuringItNeverBlock() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<Thread> threads = new CopyOnWriteArrayList<>();
        Supplier<SyncRunner.Result> blocking = () -> {
            threads.add(Thread.currentThread());
            if (threads.size() == 1) {
                awaitLatch(release);
            }
            return SyncRunner.Result.DONE;
        };
        try (SyncRunner runner = new SyncRunner("test-sync", blocking, Duration.ZERO, Duration.ofHours(1))) {
            runner.request();
            await().atMost(Duration.ofSeconds(10)).until(() -> runner.runs() == 1);
            for (int i = 0; i < 100; i++) {
                runner.request();
            }
            release.countDown();
            await().atMost(Duration.ofSeconds(10)).until(() -> threads.size() == 2);
            assertThat(runner.runs()).isEqualTo(2);
            assertThat(threads).hasSize(2).allSatisfy(t -> {
                assertThat(t.getName()).isEqualTo("test-sync");
                assertThat(t.isDaemon()).isTrue();
            });
        }
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
