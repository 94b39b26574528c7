package io.userspaceproxy.agent.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.management.HotSpotDiagnosticMXBean;
import io.userspaceproxy.agent.ProxyAgent;
import io.userspaceproxy.agent.testing.ManifestAgent;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A started agent runs the idle collector, and this JVM's real G1PeriodicGCInterval follows the process's CPU: off
 * while a thread burns a core, back on once the process is quiet. Needs the flag untouched before the first agent
 * of this JVM starts (nothing in the integration tests sets it; the unit test that does runs in surefire's JVM).
 */
@Timeout(90)
class IdleCollectorIT {

    private static final String FLAG = "G1PeriodicGCInterval";
    /** Where the burning loop leaves its result, so that the JIT cannot drop the loop. */
    private static volatile long sink;

    @TempDir
    Path manifests;

    private final HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);

    @Test
    void agent_busyThenQuiet_turnsThePeriodicCollectionOffThenOn() throws Exception {
        try (ProxyAgent agent = ManifestAgent.start(manifests)) {
            assertThat(Thread.getAllStackTraces().keySet())
                    .anySatisfy(thread -> {
                        assertThat(thread.getName()).isEqualTo("idle-collector");
                        assertThat(thread.isDaemon()).isTrue();
                    });

            burnUntil(() -> flag().equals("0"), Duration.ofSeconds(20));
            assertThat(flag()).as("a busy second turned it off").isEqualTo("0");

            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> flag().equals("30000"));
        }
    }

    private String flag() {
        return hotspot.getVMOption(FLAG).getValue();
    }

    /** Keeps this thread on a core until {@code done} or {@code limit}, whichever comes first. */
    private static void burnUntil(BooleanSupplier done, Duration limit) {
        long end = System.nanoTime() + limit.toNanos();
        long value = 0;
        while (!done.getAsBoolean() && System.nanoTime() < end) {
            for (int i = 0; i < 1_000_000; i++) {
                value += i * 31L ^ value;
            }
        }
        sink = value;
    }
}
