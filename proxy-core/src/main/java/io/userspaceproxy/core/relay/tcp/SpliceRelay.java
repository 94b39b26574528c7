package io.userspaceproxy.core.relay.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.IoEventLoop;
import io.netty.util.ReferenceCountUtil;
import io.userspaceproxy.core.metrics.CloseReason;
import java.io.IOException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The zero-copy relay of one connection that has proven to be bulk: each direction moves socket to pipe to socket
 * with {@code splice(2)}, so its payload never enters the JVM. Netty's own {@code spliceTo} is not used: it shuts a
 * socket's input as soon as an event carried {@code EPOLLRDHUP}, which strands bytes still queued behind a full pipe
 * (the tail of a stream to a slow reader), and it cannot tell an empty socket from one at its end.
 *
 * <p><b>Taking over.</b> Both channels stop reading and leave their event loop ({@code deregister}); their sockets
 * are then watched by a {@link SpliceSocket} each, on the same loop: on epoll an edge-triggered handle of its own, on
 * io_uring a multishot poll of its own. What Netty still held when it let go is sent first, in order: bytes queued in
 * a channel's outbound buffer, and bytes it read between the decision and the moment the relay caught up with it
 * (epoll reads once more on {@code EPOLLRDHUP}, events already fetched are still delivered, and on io_uring a receive
 * already in the ring completes). A FIN it read in that window is passed on like any other. The relay touches the
 * sockets only once both watches have caught up ({@link #onCaughtUp}): at once on epoll, after a round through the
 * ring on io_uring.
 *
 * <p><b>One direction</b> ({@link SpliceDirection#pump}) alternates: drain the pipe into the sink, then refill it from
 * the source. It never reads while its pipe holds bytes, so at most one pipe's worth (1 MiB, or the kernel's 64 KiB:
 * see {@link SplicePipes}) sits in the proxy per direction however slow the reader is: that is the backpressure,
 * and TCP flow control does the rest. A source is at its end only when a refill of an <em>empty</em> pipe returns
 * nothing after the peer's FIN was seen; only then, with the pipe drained, is the sink's output shut down. Splice
 * reports both "no data yet" and "pipe full" as zero, so that rule is what keeps the tail of a stream.
 *
 * <p>The relay ends through {@link TcpConnection#close}, which calls {@link #release} before it closes the channels:
 * the watches end while the descriptors are still open, the channels get their sockets back, and the pipes go back
 * to this loop's {@link SplicePipes} when empty. Confined to the connection's event loop.
 */
final class SpliceRelay {

    private static final Logger log = LoggerFactory.getLogger(SpliceRelay.class);

    private static final int PEER_DONE = SpliceSocket.POLLRDHUP | SpliceSocket.POLLHUP | SpliceSocket.POLLERR;

    private final TcpConnection connection;
    private final SpliceSocket frontend;
    private final SpliceSocket backend;
    private final SpliceDirection toBackend;
    private final SpliceDirection toFrontend;
    private final ChannelFutureListener onDeregistered = this::onDeregistered;

    /** Channels Netty has not let go of yet. */
    private int deregistering = 2;
    /** Watches that have not caught up with Netty's last operation on their socket yet. */
    private int catchingUp = 2;
    private boolean released;

    private SpliceRelay(TcpConnection connection, Channel frontendChannel, Channel backendChannel,
            SplicePipes.Pipe upPipe, SplicePipes.Pipe downPipe) {
        this.connection = connection;
        this.frontend = SpliceSocket.of(this, frontendChannel, CloseReason.FRONTEND_ERROR);
        this.backend = SpliceSocket.of(this, backendChannel, CloseReason.BACKEND_ERROR);
        this.toBackend = new SpliceDirection(this, frontend, backend, upPipe, true);
        this.toFrontend = new SpliceDirection(this, backend, frontend, downPipe, false);
    }

    /**
     * Starts taking the connection over from Netty; {@code null} when the channels' transport has no watch (see
     * {@link SpliceSocket#supports}) or no pipes can be had (the open-files limit), and the connection stays on the
     * copy relay.
     *
     * @param toBackendDone   whether the direction towards the backend has already passed its FIN on
     * @param toFrontendDone  likewise towards the frontend
     */
    static @Nullable SpliceRelay start(TcpConnection connection, Channel frontend, Channel backend,
            boolean toBackendDone, boolean toFrontendDone) {
        if (!SpliceSocket.supports(frontend, backend)) {
            return null;
        }
        SplicePipes.Pipe up = SplicePipes.acquire();
        if (up == null) {
            return null;
        }
        SplicePipes.Pipe down = SplicePipes.acquire();
        // Last, as it may change the sockets for good: the connection is spliced once it succeeds.
        if (down == null || !SpliceSocket.prepare(frontend, backend)) {
            SplicePipes.release(up, true);
            if (down != null) {
                SplicePipes.release(down, true);
            }
            return null;
        }
        SpliceRelay relay = new SpliceRelay(connection, frontend, backend, up, down);
        relay.toBackend.done = toBackendDone;
        relay.toFrontend.done = toFrontendDone;
        // The relay learns of a FIN Netty reads while letting go from an input shutdown event, never from a close.
        frontend.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, Boolean.TRUE);
        backend.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, Boolean.TRUE);
        frontend.config().setAutoRead(false);
        backend.config().setAutoRead(false);
        frontend.deregister().addListener(relay.onDeregistered);
        backend.deregister().addListener(relay.onDeregistered);
        return relay;
    }

    /** A read Netty delivered after the decision: sent after what is already queued for that direction. */
    void carry(boolean towardBackend, Object msg) {
        if (released || !(msg instanceof ByteBuf buf)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        (towardBackend ? toBackend : toFrontend).carry(buf);
    }

    /** Netty read the FIN of one direction's source before it let go. */
    void onSourceEof(boolean towardBackend) {
        SpliceDirection direction = towardBackend ? toBackend : toFrontend;
        direction.sourceEof = true;
        direction.pump();
    }

    private void onDeregistered(ChannelFuture future) {
        (future.channel() == frontend.channel ? frontend : backend).deregistered = true;
        if (--deregistering > 0 || released) {
            return;
        }
        IoEventLoop loop = (IoEventLoop) frontend.channel.eventLoop();
        try {
            frontend.watch(loop);
            backend.watch(loop);
        } catch (IOException e) {
            log.warn("{} cannot splice, closing: {}", frontend.channel, e.toString());
            connection.close(CloseReason.BACKEND_ERROR);
        }
    }

    /** A watch has caught up with Netty; once both have, the relay owns the sockets and starts moving bytes. */
    void onCaughtUp() {
        if (--catchingUp > 0 || released) {
            return;
        }
        toBackend.takeOutbound(backend.channel);
        toFrontend.takeOutbound(frontend.channel);
        connection.counters().onSpliced();
        toBackend.pump();
        toFrontend.pump();
    }

    /** What a watch saw on its socket, as {@code poll(2)} bits. */
    void onEvents(SpliceSocket socket, int events) {
        if (released) {
            return;
        }
        if ((events & PEER_DONE) != 0) {
            socket.peerDone = true;
        }
        SpliceDirection reading = socket == frontend ? toBackend : toFrontend;
        SpliceDirection writing = socket == frontend ? toFrontend : toBackend;
        if ((events & (SpliceSocket.POLLIN | PEER_DONE)) != 0) {
            reading.sourceReadable = true;
            reading.pump();
        }
        if ((events & (SpliceSocket.POLLOUT | SpliceSocket.POLLHUP | SpliceSocket.POLLERR)) != 0) {
            writing.sinkBlocked = false;
            writing.pump();
        }
        if ((events & SpliceSocket.POLLERR) != 0 && !released) {
            // Neither direction had work that would surface the error (the socket's input already ended).
            connection.close(socket.failure);
        }
    }

    /**
     * Gives the sockets back to their channels, which the caller closes next: ends the watches, drops what was
     * carried, and returns the pipes. For {@link CloseReason#BACKEND_ERROR} it first sends the frontend whatever
     * of the backend's bytes the pipe still holds, as far as the socket takes them now.
     */
    void release(CloseReason reason) {
        if (released) {
            return;
        }
        if (reason == CloseReason.BACKEND_ERROR && isTakenOver()) {
            toFrontend.flushWithoutWaiting();
        }
        released = true;
        frontend.unwatch();
        backend.unwatch();
        toBackend.release();
        toFrontend.release();
    }

    TcpConnection connection() {
        return connection;
    }

    /** Whether the relay drives the sockets now: both watches caught up with Netty, and it is not released. */
    boolean isTakenOver() {
        return catchingUp == 0 && !released;
    }

    void fail(SpliceSocket socket, IOException cause) {
        if (log.isDebugEnabled()) {
            log.debug("{} spliced {} failed: {}", frontend.channel, socket == frontend ? "frontend" : "backend",
                    cause.toString());
        }
        connection.close(socket.failure);
    }

    void onDirectionDone() {
        if (toBackend.done && toFrontend.done) {
            connection.close(CloseReason.COMPLETED);
        }
    }
}
