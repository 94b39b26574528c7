package io.userspaceproxy.core.relay.tcp;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.userspaceproxy.core.relay.DirectMemoryGuard;

/**
 * Stops a connection's reads from adding to direct memory while memory is short. Netty's water marks bound what
 * one connection holds (what waits in its peer's outbound queue, plus one read loop), and the guard refuses new
 * connections above its threshold, but connections admitted just before that keep filling toward their own bound.
 * Measured on the copy relay with 128 MiB and 3,000 clients that never read: the last 800 were refused, yet the
 * reads of 594 admitted ones then failed to allocate, and Netty closed those connections (BENCHMARKS.md, issue 11).
 *
 * <p>So, once a read loop's bytes are flushed, while the guard refuses newcomers: if the sink could not take them
 * all, the source stops reading until the sink has written every byte it holds, signalled by the completion of an
 * empty write queued behind them. A connection then holds what it already holds and no more, and memory only grows
 * through connections whose bytes move on, which give their buffers back at once. Below the threshold nothing
 * changes; the check costs one volatile read of the sink's queue size, and reads the guard only when bytes wait.
 */
final class ReadValve {

    private ReadValve() {
    }

    /**
     * After a read loop from {@code connection}'s frontend (or backend) was flushed to {@code sink}: pauses the
     * source's reads if bytes still wait for {@code sink} while memory is short; its water-mark handler resumes them
     * once they are written.
     *
     * @param fromFrontend true when the source is the frontend and {@code sink} the backend
     */
    static void afterFlush(TcpConnection connection, boolean fromFrontend, Channel source, Channel sink,
            DirectMemoryGuard guard) {
        ChannelOutboundBuffer waiting = sink.unsafe().outboundBuffer();
        if (waiting == null || waiting.totalPendingWriteBytes() == 0 || guard.admits()) {
            return;
        }
        source.config().setAutoRead(false);
        sink.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(written -> {
            // Resumes as a water mark would, and only if nothing else (a close, a half-close, the other water mark)
            // has decided otherwise since.
            if (fromFrontend) {
                connection.relay().onBackendWritabilityChanged(sink.isWritable());
            } else {
                connection.relay().onFrontendWritabilityChanged(sink.isWritable());
            }
        });
    }
}
