package io.userspaceproxy.agent.process;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets G1's periodic collection ({@code G1PeriodicGCInterval}, set by {@link JvmMemory}) run only while the agent is
 * idle. The periodic collection is there to give memory back after a burst when nothing else would collect; G1
 * starts it whenever the interval has passed without a collection, and a busy relay that allocates little goes that
 * long without one. It then costs the relay a concurrent cycle: a young pause, a remark pause and about a tenth of a
 * second of marking on a collector thread, every 30 s, for memory that a busy agent is using anyway. On two cores,
 * the ten-second keep-alive window that held one such cycle had a p99 of 12 ms, the one before it 5 (BENCHMARKS.md).
 * G1's own guard ({@code G1PeriodicGCSystemLoadThreshold}) reads the machine's load average, which on a node is the
 * pods' load, not the agent's.
 *
 * <p>So once a second this samples the process's CPU time: a second above {@link #BUSY_CORES} turns the periodic
 * collection off at once ({@code G1PeriodicGCInterval=0}); {@link #QUIET_SAMPLES} quiet seconds in a row turn it back
 * on, and G1 then collects as soon as the interval has passed since its last collection, which after a long busy
 * spell is at once. G1 checks the interval on its own schedule, so a collection can still start in the second
 * between the start of a load and the sample that sees it. The flag is process-wide, hence one sampler per JVM, on
 * a daemon thread; it only ever runs when the agent itself set the interval (an operator's value always wins).
 */
final class IdleCollector {

    private static final Logger log = LoggerFactory.getLogger(IdleCollector.class);
    private static final AtomicBoolean STARTED = new AtomicBoolean();

    /** How often the CPU time is sampled. */
    static final Duration SAMPLE_PERIOD = Duration.ofSeconds(1);
    /**
     * CPU above which a sample counts as busy, in cores: 5 % of one. An idle agent stays well under it with 10,000
     * Services (its timers, health checks and an occasional scrape); a relay under any real load is far above it.
     */
    static final double BUSY_CORES = 0.05;
    /** Quiet samples in a row before the periodic collection may run again. */
    static final int QUIET_SAMPLES = 5;

    private final LongSupplier cpuNanos;
    private final LongSupplier nanoTime;
    private final Consumer<String> setInterval;
    private final String interval;
    private long lastCpu;
    private long lastSample;
    private int quietSamples;
    private boolean enabled = true;
    private boolean failed;

    /**
     * @param cpuNanos the process's CPU time so far, in nanoseconds
     * @param setInterval sets {@code G1PeriodicGCInterval} to the given value, in milliseconds
     * @param interval the interval to restore when idle; the flag holds it when this starts
     */
    IdleCollector(LongSupplier cpuNanos, LongSupplier nanoTime, Consumer<String> setInterval, String interval) {
        this.cpuNanos = cpuNanos;
        this.nanoTime = nanoTime;
        this.setInterval = setInterval;
        this.interval = interval;
        this.lastCpu = cpuNanos.getAsLong();
        this.lastSample = nanoTime.getAsLong();
    }

    /**
     * Starts the JVM's sampler, once, on a daemon thread named {@code idle-collector}; later calls do nothing.
     * Does nothing where the process's CPU time cannot be read.
     */
    static void startOnce(Consumer<String> setInterval, String interval) {
        LongSupplier cpu = processCpuTime();
        if (cpu == null || !STARTED.compareAndSet(false, true)) {
            return;
        }
        IdleCollector collector = new IdleCollector(cpu, System::nanoTime, setInterval, interval);
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "idle-collector");
            thread.setDaemon(true);
            return thread;
        });
        long period = SAMPLE_PERIOD.toMillis();
        sampler.scheduleAtFixedRate(collector::sample, period, period, TimeUnit.MILLISECONDS);
    }

    private static @Nullable LongSupplier processCpuTime() {
        if (!(ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os)
                || os.getProcessCpuTime() < 0) {
            log.debug("the process's CPU time cannot be read: G1's periodic collection stays on while busy");
            return null;
        }
        return os::getProcessCpuTime;
    }

    /** One sample: turns the periodic collection off on a busy second, on after enough quiet ones. Never throws. */
    void sample() {
        long cpu = cpuNanos.getAsLong();
        long now = nanoTime.getAsLong();
        long elapsed = now - lastSample;
        boolean busy = elapsed > 0 && cpu - lastCpu > BUSY_CORES * elapsed;
        lastCpu = cpu;
        lastSample = now;
        if (busy) {
            quietSamples = 0;
            if (enabled) {
                enabled = !set("0");
            }
        } else if (!enabled && ++quietSamples >= QUIET_SAMPLES) {
            enabled = set(interval);
        }
    }

    /** Whether the periodic collection is on, as far as this knows. */
    boolean enabled() {
        return enabled;
    }

    private boolean set(String value) {
        try {
            setInterval.accept(value);
            log.debug("G1PeriodicGCInterval={} ({})", value, value.equals("0") ? "busy" : "idle");
            return true;
        } catch (RuntimeException e) {
            if (!failed) {
                failed = true;
                log.warn("cannot set G1PeriodicGCInterval to {}: {}", value, e.toString());
            }
            return false;
        }
    }
}
