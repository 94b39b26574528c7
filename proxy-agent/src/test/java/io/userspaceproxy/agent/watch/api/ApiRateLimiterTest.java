package io.userspaceproxy.agent.watch.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** client-go's token bucket against a fake clock: the fake sleeper advances the clock instead of sleeping. */
class ApiRateLimiterTest {

    private long now = 1_000_000_000L;
    private final List<Long> sleeps = new ArrayList<>();

    private ApiRateLimiter limiter(double qps, int burst) {
        return new ApiRateLimiter(qps, burst, () -> now, nanos -> {
            sleeps.add(nanos);
            now += nanos;
        });
    }

    @Test
    void acquire_withinBurst_noWait() {
        ApiRateLimiter limiter = limiter(5, 10);

        for (int i = 0; i < 10; i++) {
            limiter.acquire();
        }

        assertThat(sleeps).isEmpty();
        assertThat(limiter.waited()).isZero();
    }

    @Test
    void acquire_pastBurst_waitsOneTokenIntervalEach() {
        ApiRateLimiter limiter = limiter(5, 10);
        for (int i = 0; i < 10; i++) {
            limiter.acquire();
        }

        limiter.acquire();
        limiter.acquire();

        assertThat(sleeps).containsExactly(TimeUnit.MILLISECONDS.toNanos(200), TimeUnit.MILLISECONDS.toNanos(200));
        assertThat(limiter.waited()).isEqualTo(2);
    }

    @Test
    void reserve_afterIdle_refillsUpToBurstOnly() {
        ApiRateLimiter limiter = limiter(5, 10);
        for (int i = 0; i < 10; i++) {
            limiter.acquire();
        }

        now += TimeUnit.SECONDS.toNanos(60);

        for (int i = 0; i < 10; i++) {
            assertThat(limiter.reserve()).isZero();
        }
        assertThat(limiter.reserve()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(200));
    }

    @Test
    void reserve_concurrentRequests_queueBehindEachOther() {
        ApiRateLimiter limiter = limiter(5, 1);
        assertThat(limiter.reserve()).isZero();

        assertThat(limiter.reserve()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(200));
        assertThat(limiter.reserve()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(400));
    }

    @Test
    void acquire_dueLaterThanCap_waitsCapAndCounts() {
        ApiRateLimiter limiter = limiter(0.5, 1);
        limiter.acquire();

        limiter.acquire();

        assertThat(sleeps).containsExactly(ApiRateLimiter.MAX_WAIT_NANOS);
        assertThat(limiter.cappedWaits()).isEqualTo(1);
    }

    @Test
    void create_badSettings_rejected() {
        assertThatThrownBy(() -> limiter(0, 10)).hasMessage("qps: 0.0 (expected: > 0)");
        assertThatThrownBy(() -> limiter(5, 0)).hasMessage("burst: 0 (expected: >= 1)");
    }
}
