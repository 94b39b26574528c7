package io.userspaceproxy.core.relay.tcp;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import io.userspaceproxy.core.metrics.CloseReason;
import java.io.IOException;

/**
 * One direction of a proxied connection on the copy relay, and its end ({@link SpliceDirection} is the same on the
 * splice relay). When the source's input shuts down (its peer sent a FIN), the bytes still queued towards the sink
 * are flushed first, and only then is the sink's output shut down, passing the FIN on: shutting the output down at
 * once would discard that queue, which is how a relay loses the tail of a stream. A FIN that arrives before the
 * backend connected is remembered and passed on once it has. The direction that finishes last skips the shutdown:
 * the connection closes both channels then, and the close sends the FIN.
 *
 * <p>Listens to its own flush and shutdown futures, so it allocates nothing. Confined to the connection's event loop.
 */
final class CopyDirection implements ChannelFutureListener {

    private static final int OPEN = 0;
    private static final int EOF_BEFORE_CONNECT = 1;
    private static final int FLUSHING = 2;
    private static final int SHUTTING_DOWN_OUTPUT = 3;
    private static final int DONE = 4;

    private final DuplexRelay relay;
    private final boolean towardBackend;

    private int state = OPEN;

    CopyDirection(DuplexRelay relay, boolean towardBackend) {
        this.relay = relay;
        this.towardBackend = towardBackend;
    }

    /** Whether the source may still send: its input has not shut down. */
    boolean isOpen() {
        return state == OPEN;
    }

    /** Whether the FIN has been passed on to the sink. */
    boolean isDone() {
        return state == DONE;
    }

    void onSourceInputShutdown() {
        if (relay.connection().isClosed() || state > EOF_BEFORE_CONNECT) {
            return;
        }
        Channel sink = relay.sink(towardBackend);
        if (sink == null) {
            state = EOF_BEFORE_CONNECT;
            return;
        }
        state = FLUSHING;
        sink.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(this);
    }

    /** The backend has connected: pass on a FIN that arrived while it was connecting. */
    void onConnected() {
        if (state == EOF_BEFORE_CONNECT) {
            state = OPEN;
            onSourceInputShutdown();
        }
    }

    @Override
    public void operationComplete(ChannelFuture future) {
        if (relay.connection().isClosed()) {
            return;
        }
        if (!future.isSuccess()) {
            relay.connection().close(towardBackend ? CloseReason.BACKEND_ERROR : CloseReason.FRONTEND_ERROR);
            return;
        }
        if (state == FLUSHING && relay.isOppositeDone(towardBackend)) {
            // The last direction: closing the sink sends its FIN after the flushed bytes (the sink's own input has
            // ended, so nothing unread makes the close a reset); a shutdown(SHUT_WR) first would be a call more.
            state = DONE;
            relay.onDirectionDone();
            return;
        }
        if (state == FLUSHING) {
            state = SHUTTING_DOWN_OUTPUT;
            shutDownOutput(future.channel());
            return;
        }
        state = DONE;
        relay.onDirectionDone();
    }

    /**
     * Passes the FIN on once the flush has completed, so nothing is queued behind it (on io_uring, nothing is in the
     * ring either: the flush completes when the last write's completion has been handled). On epoll and io_uring
     * the socket itself is shut: the channel's {@code shutdownOutput} would first build an exception, with its stack
     * trace, for queued writes that cannot exist here; under a load of new connections that was 9 % of the event
     * loops' time outside the kernel on epoll and 4 % of all of it on io_uring. The socket records the shutdown, so
     * the channel still reports its output as shut. NIO keeps the channel's path.
     */
    private void shutDownOutput(Channel sink) {
        if (!(sink instanceof UnixChannel unix) || !(unix.fd() instanceof Socket socket)) {
            ((DuplexChannel) sink).shutdownOutput().addListener(this);
            return;
        }
        try {
            socket.shutdown(false, true);
        } catch (IOException e) {
            relay.connection().close(towardBackend ? CloseReason.BACKEND_ERROR : CloseReason.FRONTEND_ERROR);
            return;
        }
        state = DONE;
        relay.onDirectionDone();
    }
}
