package io.userspaceproxy.core.relay.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.epoll.Native;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.UnixChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
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
 * <p><b>Taking over.</b> Both channels stop reading and leave Netty's epoll set ({@code deregister}); their file
 * descriptors are then driven by two {@link EpollIoHandle}s of this class on the same event loop, edge-triggered with
 * a fixed interest set ({@code EPOLLIN | EPOLLOUT | EPOLLRDHUP}), so the relay makes no {@code epoll_ctl} call after
 * its first. What Netty still held when it let go is sent first, in order: bytes queued in a channel's outbound
 * buffer, and bytes it read between the decision and the deregistration (epoll reads once more on
 * {@code EPOLLRDHUP}, and events already fetched are still delivered). A FIN it read in that window is passed on
 * like any other.
 *
 * <p><b>One direction</b> ({@link SpliceDirection#pump}) alternates: drain the pipe into the sink, then refill it from
 * the source. It never reads while its pipe holds bytes, so at most one pipe's worth (64 KiB by default) sits in the
 * proxy per direction however slow the reader is: that is the backpressure, and TCP flow control does the rest. A
 * source is at its end only when a refill of an <em>empty</em> pipe returns nothing after the peer's FIN was seen; only
 * then, with the pipe drained, is the sink's output shut down. Splice reports both "no data yet" and "pipe full" as
 * zero, so that rule is what keeps the tail of a stream.
 *
 * <p>The relay ends through {@link TcpConnection#close}, which calls {@link #release} before it closes the channels:
 * the registrations leave the epoll set while their descriptors are still open, and the pipes go back to this loop's
 * {@link SplicePipes} when empty. Confined to the connection's event loop.
 */
final class SpliceRelay {

    private static final Logger log = LoggerFactory.getLogger(SpliceRelay.class);

    /** Not exported by Netty's {@code Native}; the value is part of the Linux ABI. */
    private static final int EPOLLHUP = 0x010;
    private static final int PEER_DONE = Native.EPOLLRDHUP | EPOLLHUP | Native.EPOLLERR;
    private static final EpollIoOps INTEREST = EpollIoOps.valueOf(
            Native.EPOLLIN | Native.EPOLLOUT | Native.EPOLLRDHUP | Native.EPOLLET);

    private final TcpConnection connection;
    private final Socket frontend;
    private final Socket backend;
    private final SpliceDirection toBackend;
    private final SpliceDirection toFrontend;
    private final ChannelFutureListener onDeregistered = this::onDeregistered;

    private int deregistering = 2;
    private boolean released;

    private SpliceRelay(TcpConnection connection, Channel frontendChannel, Channel backendChannel,
            FileDescriptor[] upPipe, FileDescriptor[] downPipe) {
        this.connection = connection;
        this.frontend = new Socket(frontendChannel, CloseReason.FRONTEND_ERROR);
        this.backend = new Socket(backendChannel, CloseReason.BACKEND_ERROR);
        this.toBackend = new SpliceDirection(this, frontend, backend, upPipe, true);
        this.toFrontend = new SpliceDirection(this, backend, frontend, downPipe, false);
    }

    /** Whether both channels are of a transport whose descriptors this relay can drive (epoll). */
    private static boolean supports(Channel frontend, Channel backend) {
        return frontend instanceof EpollSocketChannel && backend instanceof EpollSocketChannel;
    }

    /**
     * Starts taking the connection over from Netty; {@code null} when the channels are not epoll's (see
     * {@link #supports}) or no pipes can be had (the open-files limit), and the connection stays on the copy relay.
     *
     * @param toBackendDone   whether the direction towards the backend has already passed its FIN on
     * @param toFrontendDone  likewise towards the frontend
     */
    static @Nullable SpliceRelay start(TcpConnection connection, Channel frontend, Channel backend,
            boolean toBackendDone, boolean toFrontendDone) {
        if (!supports(frontend, backend)) {
            return null;
        }
        FileDescriptor[] up = SplicePipes.acquire();
        if (up == null) {
            return null;
        }
        FileDescriptor[] down = SplicePipes.acquire();
        if (down == null) {
            SplicePipes.release(up, true);
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
        if (deregistering == 0) {
            direction.pump();
        }
    }

    private void onDeregistered(ChannelFuture future) {
        if (--deregistering > 0 || released) {
            return;
        }
        toBackend.takeOutbound(backend.channel);
        toFrontend.takeOutbound(frontend.channel);
        IoEventLoop loop = (IoEventLoop) frontend.channel.eventLoop();
        try {
            frontend.register(loop);
            backend.register(loop);
        } catch (Exception e) {
            log.warn("{} cannot splice, closing: {}", frontend.channel, e.toString());
            connection.close(CloseReason.BACKEND_ERROR);
            return;
        }
        connection.counters().onSpliced();
        toBackend.pump();
        toFrontend.pump();
    }

    /**
     * Gives the descriptors back to their channels, which the caller closes next: leaves the epoll set, drops what
     * was carried, and returns the pipes. For {@link CloseReason#BACKEND_ERROR} it first sends the frontend whatever
     * of the backend's bytes the pipe still holds, as far as the socket takes them now.
     */
    void release(CloseReason reason) {
        if (released) {
            return;
        }
        if (reason == CloseReason.BACKEND_ERROR && deregistering == 0) {
            toFrontend.flushWithoutWaiting();
        }
        released = true;
        frontend.cancel();
        backend.cancel();
        toBackend.release();
        toFrontend.release();
    }

    TcpConnection connection() {
        return connection;
    }

    /** Whether the relay drives the sockets now: Netty has let go of both, and the relay is not released. */
    boolean isTakenOver() {
        return deregistering == 0 && !released;
    }

    void fail(Socket socket, IOException cause) {
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

    /** One socket of the connection, as the epoll handle that receives its events once Netty has let go. */
    final class Socket implements EpollIoHandle {

        final Channel channel;
        final FileDescriptor fd;
        final CloseReason failure;
        /** The peer sent its FIN (or the connection is gone): a refill of an empty pipe that gets nothing is EOF. */
        boolean peerDone;
        @Nullable IoRegistration registration;

        Socket(Channel channel, CloseReason failure) {
            this.channel = channel;
            this.fd = ((UnixChannel) channel).fd();
            this.failure = failure;
        }

        /** On the loop itself, registering completes before {@code register} returns. */
        void register(IoEventLoop loop) throws Exception {
            Future<IoRegistration> registered = loop.register(this);
            if (registered.cause() != null) {
                throw new IOException("cannot register with the event loop", registered.cause());
            }
            registration = registered.getNow();
            registration.submit(INTEREST);
        }

        void cancel() {
            if (registration != null) {
                registration.cancel();
                registration = null;
            }
        }

        @Override
        public FileDescriptor fd() {
            return fd;
        }

        @Override
        public void handle(IoRegistration registration, IoEvent event) {
            int ops = ((EpollIoEvent) event).ops().value();
            if ((ops & PEER_DONE) != 0) {
                peerDone = true;
            }
            SpliceDirection reading = this == frontend ? toBackend : toFrontend;
            SpliceDirection writing = this == frontend ? toFrontend : toBackend;
            if ((ops & (Native.EPOLLIN | PEER_DONE)) != 0) {
                reading.sourceReadable = true;
                reading.pump();
            }
            if ((ops & (Native.EPOLLOUT | EPOLLHUP | Native.EPOLLERR)) != 0) {
                writing.sinkBlocked = false;
                writing.pump();
            }
            if ((ops & Native.EPOLLERR) != 0 && !released) {
                // Neither direction had work that would surface the error (the socket's input already ended).
                connection.close(failure);
            }
        }

        /** The event loop is shutting down with this connection still spliced. */
        @Override
        public void close() {
            connection.close(CloseReason.SHUTDOWN);
        }
    }
}
