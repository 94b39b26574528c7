package io.userspaceproxy.agent.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class SyncRunnerTest {

    @Test
    void request_burstWithinMinInterval_collapsesIntoTwoSyncs() throws Exception {
        AtomicInteger syncs = new AtomicInteger();
        CountDownLatch firstStarted = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        Runnable sync = () -> {
            if (syncs.incrementAndGet() == 1) {
                firstStarted.countDown();
                awaitLatch(releaseFirst);
            }
        };
        try (SyncRunner runner = new SyncRunner("test-sync", sync, Duration.ofMillis(300), Duration.ofHours(1))) {
            runner.request();
            assertThat(firstStarted.await(10, TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < 100; i++) {
                runner.request();
            }
            releaseFirst.countDown();

            await().atMost(Duration.ofSeconds(10)).until(() -> syncs.get() == 2);
            // Every one of the hundred requests was pending when the second sync began, so nothing is left over.
            await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(5)).until(() -> syncs.get() == 2);
            assertThat(runner.runs()).isEqualTo(2);
        }
    }

    @Test
    void request_minIntervalZero_eachSeparatedRequestSyncs() {
        AtomicInteger syncs = new AtomicInteger();
        try (SyncRunner runner = new SyncRunner("test-sync", syncs::incrementAndGet, Duration.ZERO, Duration.ofHours(1))) {
            for (int i = 1; i <= 5; i++) {
                runner.request();
                int expected = i;
                await().atMost(Duration.ofSeconds(5)).until(() -> syncs.get() == expected);
            }
        }
    }

    @Test
    void start_noRequests_runsPeriodicFullSync() {
        AtomicInteger syncs = new AtomicInteger();
        try (SyncRunner runner = new SyncRunner("test-sync", syncs::incrementAndGet, Duration.ZERO, Duration.ofMillis(100))) {
            runner.start();
            await().atMost(Duration.ofSeconds(5)).until(() -> syncs.get() >= 3);
        }
    }

    @Test
    void request_syncThrows_isRetriedAndCounted() {
        AtomicInteger syncs = new AtomicInteger();
        Runnable sync = () -> {
            if (syncs.incrementAndGet() == 1) {
                throw new IllegalStateException("boom");
            }
        };
        try (SyncRunner runner = new SyncRunner("test-sync", sync, Duration.ZERO, Duration.ofHours(1))) {
            runner.request();
            await().atMost(Duration.ofSeconds(5)).until(() -> syncs.get() == 2);
            assertThat(runner.failures()).isEqualTo(1);
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
