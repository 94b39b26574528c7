package io.userspaceproxy.core.relay.tcp;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.userspaceproxy.core.metrics.CloseReason;
import io.userspaceproxy.core.relay.RelayOptions;
import org.jspecify.annotations.Nullable;

/**
 * The two directions of one proxied connection and the half-close rules between them; the connection's connect,
 * lifecycle and accounting are its {@link TcpConnection}'s. Made with the connection, so that a FIN the client sends
 * while the backend is still connecting is kept; the backend is attached once one connects. Confined to the
 * connection's event loop.
 *
 * <p><b>Half-close.</b> Each direction finishes on its own ({@link CopyDirection}); the connection closes as
 * {@link CloseReason#COMPLETED} once both have. The legacy proxier closed both sockets when either side finished,
 * cutting off the reply to a client that shut down its output.
 *
 * <p><b>Backpressure.</b> A sink whose queue crossed its high water mark stops the reads of its source until it
 * drains. A source whose input has shut down is left alone: there is nothing more to read, and epoll may have
 * dropped its descriptor from the interest set already, so re-arming it would fail.
 *
 * <p><b>Splice.</b> On epoll and io_uring, a read loop that moved at least {@link RelayOptions#spliceThresholdBytes()} marks a
 * bulk transfer: both sockets go to a {@link SpliceRelay}, and the handlers pass it the reads Netty makes while
 * letting go ({@link #carry}).
 */
final class DuplexRelay {

    private final TcpConnection connection;
    private final Channel frontend;
    private final CopyDirection toBackend = new CopyDirection(this, true);
    private final CopyDirection toFrontend = new CopyDirection(this, false);

    private @Nullable Channel backend;
    // Read by TcpConnectionTable off this loop without synchronization: benign races, see there.
    private long bytesToBackend;
    private long bytesToFrontend;
    /** Bytes read in the read loop under way (either side's; loops do not interleave on one event loop). */
    private int readLoopBytes;
    /** From the listener's options once the connection connects; zero (never) until then. */
    private int spliceThresholdBytes;
    private @Nullable SpliceRelay splice;
    private boolean spliceRefused;

    DuplexRelay(TcpConnection connection, Channel frontend) {
        this.connection = connection;
        this.frontend = frontend;
    }

    void spliceFrom(int thresholdBytes) {
        spliceThresholdBytes = thresholdBytes;
    }

    /** The connected backend; null before one connected and after an unused one was given up. */
    @Nullable Channel backend() {
        return backend;
    }

    /**
     * A backend connected: the reads held meanwhile go first, then a FIN the client sent meanwhile, and the frontend
     * is read from now on (unless the held reads already filled the backend's queue: its writability event turns
     * reading on once it drains).
     */
    void attach(Channel connected, @Nullable HeldReads held) {
        backend = connected;
        if (held != null) {
            held.writeTo(connected, this);
        }
        toBackend.onConnected();
        if (toBackend.isOpen() && connected.isWritable()) {
            frontend.config().setAutoRead(true);
        }
    }

    /**
     * Whether the backend may be given up for another: connected, no byte relayed either way (so none is spliced),
     * and neither side half-closed.
     */
    boolean isUnused() {
        return backend != null && bytesToBackend == 0 && bytesToFrontend == 0 && toBackend.isOpen()
                && toFrontend.isOpen();
    }

    /** Gives up the backend (see {@link #isUnused}); the next {@link #attach} relays to another. */
    void detach() {
        backend = null;
    }

    /** Counts bytes read from the frontend, for the service port and for this connection. */
    void onBytesToBackend(int bytes) {
        connection.counters().onBytesToBackend(bytes);
        bytesToBackend += bytes;
        readLoopBytes += bytes;
    }

    /** Counts bytes read from the backend, for the service port and for this connection. */
    void onBytesToFrontend(int bytes) {
        connection.counters().onBytesToFrontend(bytes);
        bytesToFrontend += bytes;
        readLoopBytes += bytes;
    }

    long bytesToBackend() {
        return bytesToBackend;
    }

    long bytesToFrontend() {
        return bytesToFrontend;
    }

    /** A read loop ended on either side: one that moved enough bytes marks a bulk transfer, and a switch to splice. */
    void onReadComplete() {
        int bytes = readLoopBytes;
        readLoopBytes = 0;
        if (spliceThresholdBytes > 0 && bytes >= spliceThresholdBytes && splice == null && !spliceRefused) {
            trySplice();
        }
    }

    private void trySplice() {
        // Only between whole states of each direction: open, or done with its FIN passed on.
        boolean upDone = toBackend.isDone();
        boolean downDone = toFrontend.isDone();
        Channel connected = backend;
        if (connection.isClosed() || connected == null || (!toBackend.isOpen() && !upDone)
                || (!toFrontend.isOpen() && !downDone) || (upDone && downDone)) {
            return;
        }
        splice = SpliceRelay.start(connection, frontend, connected, upDone, downDone);
        spliceRefused = splice == null; // not epoll, or no pipe to be had: this one stays on the copy relay
    }

    /** Whether a {@link SpliceRelay} owns the sockets now: reads Netty still delivers go to {@link #carry}. */
    boolean isSpliced() {
        return splice != null;
    }

    /**
     * Passes a read Netty made while handing the sockets over to the splice relay, which sends it before anything
     * it splices; false, and {@code msg} untouched, while the connection is on the copy relay.
     */
    boolean carry(boolean towardBackend, Object msg) {
        SpliceRelay relay = splice;
        if (relay == null) {
            return false;
        }
        relay.carry(towardBackend, msg);
        return true;
    }

    /** The connection is closing: a splice relay gives the descriptors back while they are still open. */
    void release(CloseReason reason) {
        if (splice != null) {
            splice.release(reason);
        }
    }

    /** The frontend's queue crossed a water mark: the backend is read only while the frontend can take more. */
    void onFrontendWritabilityChanged(boolean writable) {
        Channel source = backend;
        if (!connection.isClosed() && source != null && splice == null && toFrontend.isOpen()) {
            source.config().setAutoRead(writable);
            connection.counters().onFlowControl(false, !writable);
        }
    }

    /** The backend's queue crossed a water mark: the frontend is read only while the backend can take more. */
    void onBackendWritabilityChanged(boolean writable) {
        if (!connection.isClosed() && backend != null && splice == null && toBackend.isOpen()) {
            frontend.config().setAutoRead(writable);
            connection.counters().onFlowControl(true, !writable);
        }
    }

    void onFrontendInputShutdown() {
        if (splice != null) {
            splice.onSourceEof(true);
        } else {
            toBackend.onSourceInputShutdown();
        }
    }

    void onBackendInputShutdown() {
        if (connection.retryUnusedBackend(TcpConnection.ENDED_UNUSED)) {
            return;
        }
        if (splice != null) {
            splice.onSourceEof(false);
        } else {
            toFrontend.onSourceInputShutdown();
        }
    }

    /**
     * The frontend closed. After the backend's FIN was passed on, the frontend no longer allows half-closure (see
     * {@link #onDirectionDone}), so Netty closes it at its EOF: then the client finished too, and its FIN goes on to
     * the backend. Every other close of a frontend comes from an error (counted before, in exceptionCaught), from
     * the connection itself, or from a shutdown.
     */
    void onFrontendInactive() {
        if (!connection.isClosed() && splice == null && toFrontend.isDone() && !connection.isShuttingDown()) {
            toBackend.onSourceInputShutdown();
            return;
        }
        connection.onFrontendClosed();
    }

    /**
     * The backend closed: after the client's FIN was passed on, that is the backend's EOF (as for the frontend);
     * otherwise a failure. A connect attempt's channel given up before it connected is the connector's business.
     */
    void onBackendInactive() {
        if (backend == null) {
            return;
        }
        if (!connection.isClosed() && splice == null && toBackend.isDone() && !connection.isShuttingDown()) {
            toFrontend.onSourceInputShutdown();
            return;
        }
        if (connection.retryUnusedBackend(TcpConnection.ENDED_UNUSED)) {
            return;
        }
        connection.close(connection.isShuttingDown() ? CloseReason.SHUTDOWN : CloseReason.BACKEND_ERROR);
    }

    /** Where the direction toward the backend (or else the frontend) writes; null before a backend connected. */
    @Nullable Channel sink(boolean towardBackend) {
        return towardBackend ? backend : frontend;
    }

    /** Whether the direction opposite to the one toward the backend (or else the frontend) has passed its FIN on. */
    boolean isOppositeDone(boolean towardBackend) {
        return towardBackend ? toFrontend.isDone() : toBackend.isDone();
    }

    /**
     * One direction has passed its FIN on; when both have, the connection is complete. After the first, the source
     * of the other direction stops allowing half-closure: its EOF ends the whole connection, so Netty may close it
     * at once instead of shutting its input down first (a shutdown(SHUT_RD) that fails with ENOTCONN when the peer
     * has already closed both ways, and on a backend an EPOLLIN wake-up and an epoll_ctl).
     */
    void onDirectionDone() {
        if (toBackend.isDone() && toFrontend.isDone()) {
            connection.close(CloseReason.COMPLETED);
            return;
        }
        // A splice relay started later turns half-closure back on (see SpliceRelay.start).
        Channel lastSource = toBackend.isDone() ? backend : frontend;
        if (lastSource != null) {
            lastSource.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, Boolean.FALSE);
        }
    }

    TcpConnection connection() {
        return connection;
    }
}
