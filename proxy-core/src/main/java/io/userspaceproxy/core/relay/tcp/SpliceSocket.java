package io.userspaceproxy.core.relay.tcp;

import io.netty.channel.Channel;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoHandle;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.UnixChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.Future;
import io.userspaceproxy.core.metrics.CloseReason;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One socket of a {@link SpliceRelay} once Netty has let go of it: the relay learns from this watch when the socket
 * can be read or written, and moves the bytes itself with {@code splice(2)}. Each transport watches in its own way
 * ({@link EpollSpliceSocket}, {@link IoUringSpliceSocket}) and reports readiness as {@code poll(2)} bits, whose values
 * epoll and io_uring share. Confined to the connection's event loop.
 */
abstract class SpliceSocket {

    private static final Logger log = LoggerFactory.getLogger(SpliceSocket.class);

    static final int POLLIN = 0x001;
    static final int POLLOUT = 0x004;
    static final int POLLERR = 0x008;
    static final int POLLHUP = 0x010;
    static final int POLLRDHUP = 0x2000;

    final SpliceRelay relay;
    final Channel channel;
    final FileDescriptor fd;
    final CloseReason failure;
    /** The peer sent its FIN (or the connection is gone): a refill of an empty pipe that gets nothing is EOF. */
    boolean peerDone;
    /**
     * Netty's deregistration of the channel has completed: it starts no new operation on this socket (on io_uring,
     * ones already in the ring may still complete; see {@link #watch}).
     */
    boolean deregistered;

    SpliceSocket(SpliceRelay relay, Channel channel, CloseReason failure) {
        this.relay = relay;
        this.channel = channel;
        this.fd = ((UnixChannel) channel).fd();
        this.failure = failure;
    }

    /**
     * Whether both channels are of a transport whose sockets the relay can watch: epoll, or io_uring where the
     * kernel has multishot polls (Linux 5.13+; {@link IoUringSpliceSocket} keeps one armed) and the epoll native
     * library (whose {@code splice} call the relay makes) loads too.
     */
    static boolean supports(Channel frontend, Channel backend) {
        if (frontend instanceof EpollSocketChannel && backend instanceof EpollSocketChannel) {
            return true;
        }
        return frontend instanceof IoUringSocketChannel && backend instanceof IoUringSocketChannel
                && IoUring.isPollAddMultishotEnabled() && Epoll.isAvailable();
    }

    /**
     * Readies both sockets for {@code splice(2)} before Netty lets go, where the transport needs it; false, with a
     * log line, when that failed and the connection stays on the copy relay.
     */
    static boolean prepare(Channel frontend, Channel backend) {
        if (frontend instanceof EpollSocketChannel) {
            return true; // epoll's sockets are non-blocking already
        }
        try {
            NonBlockingSockets.set(((UnixChannel) frontend).fd());
            NonBlockingSockets.set(((UnixChannel) backend).fd());
            return true;
        } catch (IOException e) {
            log.debug("{} cannot splice, staying on the copy relay: {}", frontend, e.toString());
            return false;
        }
    }

    /** The watch for {@code channel}'s socket, of its transport; {@link #supports} said it has one. */
    static SpliceSocket of(SpliceRelay relay, Channel channel, CloseReason failure) {
        return channel instanceof EpollSocketChannel
                ? new EpollSpliceSocket(relay, channel, failure)
                : new IoUringSpliceSocket(relay, channel, failure);
    }

    /**
     * Starts watching the socket, which Netty has let go of, on {@code loop}: the channel's. Calls
     * {@link SpliceRelay#onCaughtUp} once every operation Netty started on the socket is behind, on this thread or
     * later.
     */
    abstract void watch(IoEventLoop loop) throws IOException;

    /**
     * Stops watching and gives the socket back to its channel, which the caller closes next; where the channel cannot
     * take it back, closes the socket itself. Safe to call more than once, and before {@link #watch}.
     */
    abstract void unwatch();

    /** The event loop is shutting down with this connection still spliced. */
    public final void close() {
        relay.connection().close(CloseReason.SHUTDOWN);
    }

    /** On the loop itself, registering completes before {@code register} returns. */
    static IoRegistration register(IoEventLoop loop, IoHandle handle) throws IOException {
        Future<IoRegistration> registered = loop.register(handle);
        if (registered.cause() != null) {
            throw new IOException("cannot register with the event loop", registered.cause());
        }
        return registered.getNow();
    }
}
