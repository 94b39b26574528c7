package io.userspaceproxy.agent.process;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** G1's periodic collection follows the process's CPU: off on a busy second, on again after quiet ones. */
class IdleCollectorTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    /** Just over and just under {@link IdleCollector#BUSY_CORES} of one second. */
    private static final long BUSY = (long) (IdleCollector.BUSY_CORES * SECOND) + 1_000_000;
    private static final long QUIET = (long) (IdleCollector.BUSY_CORES * SECOND) - 1_000_000;

    private long cpu;
    private long now;
    private final List<String> set = new ArrayList<>();

    private IdleCollector collector(Consumer<String> setInterval) {
        return new IdleCollector(() -> cpu, () -> now, setInterval, "30000");
    }

    private void second(IdleCollector collector, long cpuUsed) {
        now += SECOND;
        cpu += cpuUsed;
        collector.sample();
    }

    private void seconds(IdleCollector collector, int count, long cpuUsedEach) {
        for (int i = 0; i < count; i++) {
            second(collector, cpuUsedEach);
        }
    }

    @Test
    void sample_busySecond_turnsItOffOnce() {
        IdleCollector collector = collector(set::add);

        second(collector, BUSY);
        second(collector, BUSY);
        second(collector, 10 * BUSY);

        assertThat(set).containsExactly("0");
        assertThat(collector.enabled()).isFalse();
    }

    @Test
    void sample_quietSecondsAfterBusy_turnItBackOnAfterQuietSamples() {
        IdleCollector collector = collector(set::add);
        second(collector, BUSY);

        seconds(collector, IdleCollector.QUIET_SAMPLES - 1, QUIET);
        assertThat(set).as("one quiet second short").containsExactly("0");
        second(collector, QUIET);

        assertThat(set).containsExactly("0", "30000");
        assertThat(collector.enabled()).isTrue();
    }

    @Test
    void sample_busySecondAmongQuietOnes_startsTheCountAgain() {
        IdleCollector collector = collector(set::add);
        second(collector, BUSY);
        seconds(collector, IdleCollector.QUIET_SAMPLES - 1, QUIET);

        second(collector, BUSY);
        seconds(collector, IdleCollector.QUIET_SAMPLES - 1, QUIET);

        assertThat(set).containsExactly("0");
        second(collector, QUIET);
        assertThat(set).containsExactly("0", "30000");
    }

    @Test
    void sample_quietFromTheStart_leavesTheFlagAlone() {
        IdleCollector collector = collector(set::add);

        seconds(collector, 3 * IdleCollector.QUIET_SAMPLES, QUIET);

        assertThat(set).isEmpty();
        assertThat(collector.enabled()).isTrue();
    }

    @Test
    void sample_busyOverALongerGap_isMeasuredPerSecond() {
        IdleCollector collector = collector(set::add);

        now += 10 * SECOND; // a late sample: 10 s of the same CPU is quiet
        cpu += 5 * QUIET;
        collector.sample();

        assertThat(set).isEmpty();
    }

    @Test
    void sample_refusedSet_keepsSamplingAndRetries() {
        List<String> attempts = new ArrayList<>();
        IdleCollector collector = collector(value -> {
            attempts.add(value);
            throw new IllegalArgumentException("refused");
        });

        second(collector, BUSY);
        second(collector, BUSY);

        assertThat(attempts).containsExactly("0", "0");
        assertThat(collector.enabled()).as("still on, since the JVM refused").isTrue();
    }

    @Test
    void sample_realFlag_isSetOnThisJvm() {
        HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        String before = hotspot.getVMOption("G1PeriodicGCInterval").getValue();
        IdleCollector collector = collector(value -> hotspot.setVMOption("G1PeriodicGCInterval", value));
        try {
            second(collector, BUSY);
            assertThat(hotspot.getVMOption("G1PeriodicGCInterval").getValue()).isEqualTo("0");

            seconds(collector, IdleCollector.QUIET_SAMPLES, QUIET);
            assertThat(hotspot.getVMOption("G1PeriodicGCInterval").getValue()).isEqualTo("30000");
        } finally {
            hotspot.setVMOption("G1PeriodicGCInterval", before);
        }
    }
}
