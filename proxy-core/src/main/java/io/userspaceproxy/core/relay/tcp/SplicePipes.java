package io.userspaceproxy.core.relay.tcp;

import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.FastThreadLocal;
import java.io.IOException;
import java.util.ArrayDeque;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipes that spliced connections move their bytes through, kept per event loop for reuse as HAProxy keeps its
 * pipe pool: a pipe costs a {@code pipe2} and a {@code close} pair (two file descriptors) to make and drop, and a bulk
 * connection needs one per direction. Only empty pipes come back to the pool; one that may still hold bytes (its
 * connection failed mid-transfer) is closed, so no byte ever leaks into another connection.
 *
 * <p>Confined to the event loop that owns the pool: {@link #acquire} and {@link #release} run on it.
 */
final class SplicePipes {

    private static final Logger log = LoggerFactory.getLogger(SplicePipes.class);

    /** Idle pipes one event loop keeps: enough for a burst of bulk connections, 4 file descriptors each pair. */
    static final int MAX_IDLE_PER_LOOP = 64;

    private static final FastThreadLocal<ArrayDeque<FileDescriptor[]>> IDLE = new FastThreadLocal<>() {
        @Override
        protected ArrayDeque<FileDescriptor[]> initialValue() {
            return new ArrayDeque<>();
        }

        @Override
        protected void onRemoval(ArrayDeque<FileDescriptor[]> idle) {
            FileDescriptor[] pipe;
            while ((pipe = idle.poll()) != null) {
                close(pipe);
            }
        }
    };

    private SplicePipes() {
    }

    /**
     * An empty pipe, {@code [read end, write end]}, both non-blocking; {@code null} when none can be had (typically
     * the open-files limit), in which case the connection stays on the copy relay.
     */
    static FileDescriptor @Nullable [] acquire() {
        FileDescriptor[] pipe = IDLE.get().poll();
        if (pipe != null) {
            return pipe;
        }
        try {
            return FileDescriptor.pipe();
        } catch (IOException e) {
            log.debug("no pipe for splicing: {}", e.toString());
            return null;
        }
    }

    /** Gives a pipe back: kept for reuse when {@code empty} and the pool has room, closed otherwise. */
    static void release(FileDescriptor[] pipe, boolean empty) {
        if (empty) {
            ArrayDeque<FileDescriptor[]> idle = IDLE.get();
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

    private static void close(FileDescriptor[] pipe) {
        for (FileDescriptor fd : pipe) {
            try {
                fd.close();
            } catch (IOException e) {
                log.debug("closing a pipe failed: {}", e.toString());
            }
        }
    }
}
