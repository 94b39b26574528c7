package io.userspaceproxy.agent.process;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the agent's resident memory close to what it holds. A node agent runs beside the node's pods, and HotSpot's
 * defaults suit a server that owns its machine: the initial heap is 1/64 of the machine's memory, G1 grows the heap
 * under the burst of garbage that loading 10,000 Services makes and keeps it, and it returns memory to the system
 * only after a collection it has no reason to run while idle. So, unless the operator set them on the command line
 * (their choice always wins), the agent sets three of HotSpot's manageable flags at start:
 * <ul>
 *   <li>{@code MinHeapFreeRatio=10} and {@code MaxHeapFreeRatio=30}: after a collection the heap keeps at most 30 %
 *       free, rather than 70 %;</li>
 *   <li>{@code G1PeriodicGCInterval=30000}: with G1, a concurrent cycle after 30 s without any collection, which
 *       returns the free part to the system (JEP 346), so an idle agent shrinks back after a burst. Only while the
 *       agent is idle: {@link IdleCollector} turns it off while the process is busy, where it would only add pauses
 *       to the relay's latency.</li>
 * </ul>
 * After the first sync, which loads every Service at once, {@link #afterInitialLoad()} runs one collection, so the
 * start-up burst is returned at once rather than 30 s later (a pause of tens of milliseconds at 10,000 Services,
 * before any connection depends on the agent's threads).
 *
 * <p>Measured at 10,000 Services of one port each (see BENCHMARKS.md): resident memory 460-560 MiB with HotSpot's
 * defaults, about 200 MiB with these.
 *
 * <p>The heap shrinks no further than its minimum ({@code -Xms}), which only the launcher can set. Without one, a
 * busy relay's heap can shrink to 1.4 times its few MiB of live objects, a young generation that new connections
 * fill several times a second; the image sets {@code -Xms64m} (deploy/Dockerfile).
 */
public final class JvmMemory {

    private static final Logger log = LoggerFactory.getLogger(JvmMemory.class);
    private static final String PERIODIC_GC_INTERVAL = "G1PeriodicGCInterval";

    /** Flag name to value, in the order they must be set (MinHeapFreeRatio may never exceed MaxHeapFreeRatio). */
    static final Map<String, String> FLAGS = flags();

    private JvmMemory() {
    }

    private static Map<String, String> flags() {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("MinHeapFreeRatio", "10");
        out.put("MaxHeapFreeRatio", "30");
        out.put(PERIODIC_GC_INTERVAL, "30000");
        return out;
    }

    /** Sets each of {@link #FLAGS} the operator left at its default; returns what was set. Never throws. */
    public static Map<String, String> tune() {
        Map<String, String> set = new LinkedHashMap<>();
        HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        if (hotspot == null) {
            return set;
        }
        for (Map.Entry<String, String> flag : FLAGS.entrySet()) {
            try {
                VMOption option = hotspot.getVMOption(flag.getKey());
                if (option.isWriteable() && isUnset(option.getOrigin())) {
                    hotspot.setVMOption(flag.getKey(), flag.getValue());
                    set.put(flag.getKey(), flag.getValue());
                }
            } catch (IllegalArgumentException e) {
                // Not this JVM's flag (not HotSpot, or not G1), or a value it refuses: keep its own.
                log.debug("JVM flag {} left as it is: {}", flag.getKey(), e.getMessage());
            }
        }
        if (!set.isEmpty()) {
            log.debug("JVM memory flags set: {}", set);
        }
        String interval = set.get(PERIODIC_GC_INTERVAL);
        if (interval != null) {
            IdleCollector.startOnce(value -> hotspot.setVMOption(PERIODIC_GC_INTERVAL, value), interval);
        }
        return set;
    }

    private static boolean isUnset(VMOption.Origin origin) {
        return origin == VMOption.Origin.DEFAULT || origin == VMOption.Origin.ERGONOMIC;
    }

    /**
     * After the first sync: one collection, for the garbage of parsing every object at once. A no-op with
     * {@code -XX:+DisableExplicitGC}.
     */
    public static void afterInitialLoad() {
        System.gc();
    }
}
