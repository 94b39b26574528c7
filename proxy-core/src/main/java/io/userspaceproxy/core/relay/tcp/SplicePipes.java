package io.userspaceproxy.core.relay.tcp;

import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.FastThreadLocal;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipes that spliced connections move their bytes through, kept per event loop for reuse as HAProxy keeps its
 * pipe pool: a pipe costs a {@code pipe2} and a {@code close} pair (two file descriptors) to make and drop, and a bulk
 * connection needs one per direction. Only empty pipes come back to the pool; one that may still hold bytes (its
 * connection failed mid-transfer) is closed, so no byte ever leaks into another connection.
 *
 * <p><b>Capacity.</b> A new pipe is grown from the kernel's 64 KiB to {@link #GROWN_CAPACITY} (1 MiB, the default
 * {@code fs.pipe-max-size}; HAProxy has {@code tune.pipesize} for it): a refill then moves up to 1 MiB per call, not 64
 * KiB, which took the relay's CPU per Gbit/s down by 12-26 % (BENCHMARKS.md, "Pipes of 1 MiB"). At most
 * {@link #MAX_GROWN} grown pipes exist at a time in the process, pooled or in use, so what slow readers can park in
 * pipes stays bounded (32 MiB, plus 64 KiB per further pipe), and the agent stays well under the 64 MiB of pipe
 * memory the kernel lets one user have by default ({@code fs.pipe-user-pages-soft}), which it shares with every
 * other process of its user on the node. Beyond that, and where {@link PipeCapacity} is unavailable (Java 17), pipes
 * keep the default; either way the relay is the same.
 *
 * <p>Confined to the event loop that owns the pool: {@link #acquire} and {@link #release} run on it; the count of
 * grown pipes is shared by all loops.
 */
final class SplicePipes {

    private static final Logger log = LoggerFactory.getLogger(SplicePipes.class);

    /** Idle pipes one event loop keeps: enough for a burst of bulk connections, 4 file descriptors each pair. */
    static final int MAX_IDLE_PER_LOOP = 64;
    /** What a new pipe is grown to. */
    static final int GROWN_CAPACITY = 1 << 20;
    /** Grown pipes at most in the process at a time: 16 bulk connections' worth. */
    static final int MAX_GROWN = 32;

    private static final AtomicInteger GROWN = new AtomicInteger();
    private static final AtomicBoolean CAPACITY_REPORTED = new AtomicBoolean();
    private static final AtomicBoolean REFUSAL_REPORTED = new AtomicBoolean();

    private static final FastThreadLocal<ArrayDeque<Pipe>> IDLE = new FastThreadLocal<>() {
        @Override
        protected ArrayDeque<Pipe> initialValue() {
            return new ArrayDeque<>();
        }

        @Override
        protected void onRemoval(ArrayDeque<Pipe> idle) {
            Pipe pipe;
            while ((pipe = idle.poll()) != null) {
                close(pipe);
            }
        }
    };

    /**
     * A pipe: bytes spliced into {@code writeEnd} come out of {@code readEnd}, both non-blocking.
     *
     * @param grown  whether it is one of the {@link #MAX_GROWN} pipes of {@link #GROWN_CAPACITY}
     */
    record Pipe(FileDescriptor readEnd, FileDescriptor writeEnd, boolean grown) {
    }

    private SplicePipes() {
    }

    /**
     * An empty pipe; {@code null} when none can be had (typically the open-files limit), in which case the connection
     * stays on the copy relay.
     */
    static @Nullable Pipe acquire() {
        Pipe pipe = IDLE.get().poll();
        if (pipe != null) {
            return pipe;
        }
        FileDescriptor[] ends;
        try {
            ends = FileDescriptor.pipe();
        } catch (IOException e) {
            log.debug("no pipe for splicing: {}", e.toString());
            return null;
        }
        return new Pipe(ends[0], ends[1], grow(ends[1]));
    }

    /** Gives a pipe back: kept for reuse when {@code empty} and the pool has room, closed otherwise. */
    static void release(Pipe pipe, boolean empty) {
        if (empty) {
            ArrayDeque<Pipe> idle = IDLE.get();
            if (idle.size() < MAX_IDLE_PER_LOOP) {
                idle.push(pipe);
                return;
            }
        }
        close(pipe);
    }

    /** How many idle pipes this thread's pool holds; for tests. */
    static int idleOnThisThread() {
        return IDLE.get().size();
    }

    /** How many grown pipes exist now, pooled or in use; for tests. */
    static int grown() {
        return GROWN.get();
    }

    private static boolean grow(FileDescriptor writeEnd) {
        if (!PipeCapacity.isAvailable()) {
            if (CAPACITY_REPORTED.compareAndSet(false, true)) {
                log.info("splice pipes keep the kernel's default capacity (64 KiB): {}",
                        PipeCapacity.unavailabilityCause());
            }
            return false;
        }
        if (GROWN.incrementAndGet() > MAX_GROWN) {
            GROWN.decrementAndGet();
            return false;
        }
        if (PipeCapacity.set(writeEnd, GROWN_CAPACITY) < GROWN_CAPACITY) {
            GROWN.decrementAndGet();
            log.debug("the kernel refused a splice pipe of {} bytes", GROWN_CAPACITY);
            if (REFUSAL_REPORTED.compareAndSet(false, true)) {
                log.info("the kernel refused a splice pipe of {} bytes, so it keeps the default (64 KiB): the user's "
                        + "pipe memory is over fs.pipe-user-pages-soft and the agent lacks CAP_SYS_RESOURCE, or "
                        + "fs.pipe-max-size is lower; logged once", GROWN_CAPACITY);
            }
            return false;
        }
        if (CAPACITY_REPORTED.compareAndSet(false, true)) {
            log.info("splice pipes grow to {} bytes, at most {} of them at a time", GROWN_CAPACITY, MAX_GROWN);
        }
        return true;
    }

    private static void close(Pipe pipe) {
        if (pipe.grown()) {
            GROWN.decrementAndGet();
        }
        closeQuietly(pipe.readEnd());
        closeQuietly(pipe.writeEnd());
    }

    private static void closeQuietly(FileDescriptor fd) {
        try {
            fd.close();
        } catch (IOException e) {
            log.debug("closing a pipe failed: {}", e.toString());
        }
    }
}
