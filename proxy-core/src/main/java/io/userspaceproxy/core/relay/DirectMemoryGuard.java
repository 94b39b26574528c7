package io.userspaceproxy.core.relay;

import io.netty.util.internal.PlatformDependent;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Decides whether the relay may take on a new TCP connection or UDP flow, from how much direct memory is in use
 * against its limit. Above {@link #threshold()} of the limit new clients are refused (a TCP reset, a dropped first
 * datagram, each counted), while connections and flows already open keep relaying: their reads already stop at the
 * write-buffer high water mark, so what they hold is bounded, and refusing newcomers is what keeps the sum below the
 * limit. Without it a burst of slow readers runs the pool out, and the failed allocation surfaces as an
 * {@code OutOfMemoryError} in some connection's read, which then closes that connection, whichever it is.
 *
 * <p>{@link #jvm()} reads the JDK's "direct" buffer pool (what {@code ByteBuffer.allocateDirect} reserved, bounded by
 * {@code -XX:MaxDirectMemorySize}) plus Netty's own counter when Netty allocates without the JDK's accounting, against
 * the limit Netty reports. Tests pass their own suppliers. Both reads are one atomic load: cheap enough for every
 * accept and every new flow, on any thread.
 */
public final class DirectMemoryGuard {

    /** Refuse newcomers above 90 % of the limit: room for the read loops of connections already open. */
    public static final double DEFAULT_THRESHOLD = 0.9;

    private static final DirectMemoryGuard JVM = new DirectMemoryGuard(jvmUsed(), PlatformDependent::maxDirectMemory,
            DEFAULT_THRESHOLD);
    private static final DirectMemoryGuard UNLIMITED = new DirectMemoryGuard(() -> 0, () -> Long.MAX_VALUE, 1.0);

    private final LongSupplier used;
    private final LongSupplier max;
    private final double threshold;

    private DirectMemoryGuard(LongSupplier used, LongSupplier max, double threshold) {
        this.used = used;
        this.max = max;
        this.threshold = threshold;
    }

    /**
     * A guard over the given readings.
     *
     * @param used      direct memory in use now, in bytes
     * @param max       the limit, in bytes; a value {@code <= 0} means unknown, and then everything is admitted
     * @param threshold the fraction of {@code max} above which newcomers are refused, in (0, 1]
     */
    public static DirectMemoryGuard of(LongSupplier used, LongSupplier max, double threshold) {
        Objects.requireNonNull(used, "used");
        Objects.requireNonNull(max, "max");
        if (!(threshold > 0 && threshold <= 1)) {
            throw new IllegalArgumentException("threshold: " + threshold + " (expected: > 0 and <= 1)");
        }
        return new DirectMemoryGuard(used, max, threshold);
    }

    /** The guard of this JVM's direct memory, at {@link #DEFAULT_THRESHOLD}. */
    public static DirectMemoryGuard jvm() {
        return JVM;
    }

    /** A guard that admits everything: for benchmarks and for tools that must not depend on memory. */
    public static DirectMemoryGuard unlimited() {
        return UNLIMITED;
    }

    /** Whether a new connection or flow may be opened now. */
    public boolean admits() {
        long limit = max.getAsLong();
        return limit <= 0 || used.getAsLong() < (long) (limit * threshold);
    }

    public long usedBytes() {
        return used.getAsLong();
    }

    public long maxBytes() {
        return max.getAsLong();
    }

    public double threshold() {
        return threshold;
    }

    private static LongSupplier jvmUsed() {
        BufferPoolMXBean direct = null;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if ("direct".equals(pool.getName())) {
                direct = pool;
            }
        }
        BufferPoolMXBean pool = direct;
        return () -> (pool != null ? pool.getMemoryUsed() : 0) + Math.max(0, PlatformDependent.usedDirectMemory());
    }
}
