package io.userspaceproxy.core.relay.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The maximum age's deadline: the age plus a jitter in [0, 10 %] of it, never more. */
class ConnectionAgeTest {

    private static final long AGE = 600_000_000_000L; // 10 min

    @Test
    void deadline_jitterAtItsBounds_staysWithinAgeAndATenthMore() {
        assertThat(ConnectionAge.deadline(AGE, age -> 0)).isEqualTo(AGE);
        assertThat(ConnectionAge.deadline(AGE, age -> age / 10)).isEqualTo(AGE + AGE / 10);
        assertThat(ConnectionAge.deadline(AGE, age -> age)).as("never past the tenth").isEqualTo(AGE + AGE / 10);
    }

    @Test
    void jitter_drawnUniformlyOverTheTenth() {
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (int i = 0; i < 10_000; i++) {
            long d = ConnectionAge.deadline(AGE, ConnectionAge.JITTER);
            min = Math.min(min, d);
            max = Math.max(max, d);
        }
        assertThat(min).isBetween(AGE, AGE + AGE / 100);
        assertThat(max).isBetween(AGE + AGE / 10 - AGE / 100, AGE + AGE / 10);
    }
}
