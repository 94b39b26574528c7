package io.userspaceproxy.core.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class DirectMemoryGuardTest {

    private final AtomicLong used = new AtomicLong();
    private final AtomicLong max = new AtomicLong(1_000);
    private final DirectMemoryGuard guard = DirectMemoryGuard.of(used::get, max::get, 0.9);

    @Test
    void admits_belowThreshold_true() {
        used.set(899);

        assertThat(guard.admits()).isTrue();
    }

    @Test
    void admits_atOrAboveThreshold_false() {
        used.set(900);
        assertThat(guard.admits()).isFalse();

        used.set(1_000);
        assertThat(guard.admits()).isFalse();
    }

    @Test
    void admits_limitUnknown_true() {
        max.set(-1);
        used.set(Long.MAX_VALUE);

        assertThat(guard.admits()).isTrue();
    }

    @Test
    void of_thresholdOutOfRange_throwsWithTheValue() {
        assertThatThrownBy(() -> DirectMemoryGuard.of(used::get, max::get, 1.5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("threshold: 1.5 (expected: > 0 and <= 1)");
        assertThatThrownBy(() -> DirectMemoryGuard.of(used::get, max::get, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void jvm_countsDirectBuffersTheJdkAllocates() {
        ByteBuffer held = ByteBuffer.allocateDirect(1 << 20);

        assertThat(DirectMemoryGuard.jvm().usedBytes()).isGreaterThanOrEqualTo(held.capacity());
        assertThat(DirectMemoryGuard.jvm().maxBytes()).isPositive();
    }

    @Test
    void unlimited_admitsEverything() {
        assertThat(DirectMemoryGuard.unlimited().admits()).isTrue();
    }
}
