package io.userspaceproxy.core.relay.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Ticker;
import io.userspaceproxy.core.balance.EndpointLoad;
import io.userspaceproxy.core.metrics.CloseReason;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.relay.ConnectionInfo;
import io.userspaceproxy.core.relay.RelayOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;

/**
 * One proxied TCP connection: the frontend (client) channel, the backend (endpoint) channel once connected, and the
 * state the two directions share. Confined to the frontend's event loop (the backend is registered on the same
 * loop), so nothing here is volatile or locked.
 *
 * <p><b>Half-close.</b> Each direction finishes on its own ({@link CopyDirection}); the connection closes as
 * {@link CloseReason#COMPLETED} once both have. The legacy proxier closed both sockets when either side finished,
 * cutting off the reply to a client that shut down its output.
 *
 * <p><b>Close accounting.</b> {@link #close} runs once and records exactly one reason:
 * {@code onConnectionClosed} when the backend had connected ({@code onConnectionOpened} was counted), otherwise
 * {@code onRejected}. Rejections and connect failures reset the client (SO_LINGER 0), so it fails at once.
 *
 * <p><b>Idle timeout.</b> Every write in a relay is caused by a read on the other side, so a connection on which
 * neither channel has read for the timeout is idle in both directions. That is what {@code IdleStateHandler}'s
 * {@code ALL_IDLE} on the frontend would report, but it observes writes by turning each void write promise into a
 * real one with a listener: an allocation per write. Here a read loop stamps the connection in its event loop's
 * {@link ConnectionTimer}, which sweeps every connection of the loop with one task (no task per connection). A write
 * that cannot drain (a peer that stopped reading) stops the reads on the other side, so it also ends in
 * {@code IDLE_TIMEOUT}.
 *
 * <p><b>Splice.</b> On epoll, a read loop that moved at least {@link RelayOptions#spliceThresholdBytes()} marks a
 * bulk transfer: the connection hands both sockets to a {@link SpliceRelay} and its payload stops passing through
 * Java. From then on the handlers see at most the reads Netty makes while letting go, and pass them to the relay.
 *
 * <p><b>Connection table.</b> From its first connect attempt until {@link #close} the connection is listed in its
 * listener set's {@link TcpConnectionTable}; {@link #info} samples it from another thread (see there for what that
 * read may and may not see).
 */
final class TcpConnection extends TimerEntry {

    private static final IOException ENDED_UNUSED =
            new IOException("the backend closed before a byte was sent either way");

    private final Channel frontend;
    private final ServicePortCounters counters;
    private final long idleTimeoutNanos;
    private final Ticker ticker;

    private Channel backend;
    private BackendConnector connector;
    /** The connector of the connected backend, kept for {@link #retryUnusedBackend}; null once it cannot apply. */
    private BackendConnector connectedBy;
    /** Reads that arrived before the backend connected; epoll reads on EPOLLRDHUP even with autoRead off. */
    private ArrayDeque<Object> earlyReads;
    private boolean opened;
    private boolean closed;
    private ConnectionTimer timer;
    // Set once before the table lists this connection, so the table's add publishes them to readers.
    private TcpListenerContext context;
    private ServicePortName servicePort;
    private InetSocketAddress client;
    private long openedNanos;
    /** The close at the route's maximum age; null when it has none. */
    private Future<?> ageLimit;
    /** Where least-connections counts this connection; null when nothing does. */
    private EndpointLoad load;
    // Read by TcpConnectionTable off this loop without synchronization: benign races, see there.
    private Endpoint endpoint;
    private long bytesToBackend;
    private long bytesToFrontend;
    /** Bytes read in the read loop under way (either side's; loops do not interleave on one event loop). */
    private int readLoopBytes;
    /** From the listener's options at {@link #connect}; zero (never) until then. */
    private int spliceThresholdBytes;
    private SpliceRelay splice;
    private boolean spliceRefused;

    private final CopyDirection toBackend = new CopyDirection(this, true);
    private final CopyDirection toFrontend = new CopyDirection(this, false);

    TcpConnection(Channel frontend, ServicePortCounters counters, long idleTimeoutNanos) {
        this.frontend = frontend;
        this.counters = counters;
        this.idleTimeoutNanos = idleTimeoutNanos;
        this.ticker = frontend.eventLoop().ticker();
    }

    Channel frontend() {
        return frontend;
    }

    /** The connected backend, or {@code null} before it connected and once the connection is closed. */
    Channel backend() {
        return closed ? null : backend;
    }

    ServicePortCounters counters() {
        return counters;
    }

    boolean isClosed() {
        return closed;
    }

    /**
     * Lists the connection in its table, starts the idle timer and the first connect attempt, to {@code first}.
     *
     * @param servicePort the service port whose route accepted the connection
     * @param client      the client: the frontend's peer, or the one a PROXY protocol header named
     * @param header      what each connected backend gets first; null for nothing
     */
    void connect(TcpListenerContext context, ServicePortName servicePort, InetSocketAddress client,
            ProxyHeader header, Endpoint first) {
        this.context = context;
        this.client = client;
        this.servicePort = servicePort;
        this.endpoint = first;
        this.openedNanos = ticker.nanoTime();
        this.spliceThresholdBytes = context.spliceThresholdBytes();
        context.connections().add(this);
        startIdleTimer(context.connections().timer(frontend.eventLoop(), idleTimeoutNanos));
        connector = new BackendConnector(context, this, client.getAddress(), header);
        connector.connect(first);
    }

    /** Puts the connection under {@code loopTimer}, its event loop's, for its idle and connect timeouts. */
    void startIdleTimer(ConnectionTimer loopTimer) {
        timer = loopTimer;
        if (idleTimeoutNanos > 0) {
            timer.startIdle(this);
        }
    }

    /** The timer of this connection's event loop; set once the connection starts connecting. */
    ConnectionTimer timer() {
        return timer;
    }

    /** Called by the connector before each attempt: the endpoint the connection table shows. */
    void onConnecting(Endpoint target) {
        endpoint = target;
    }

    /** Called by the connector once a backend accepted: counts the connection and starts relaying. */
    void onBackendConnected(Channel connected) {
        connectedBy = connector;
        connector = null;
        if (closed) {
            connected.close();
            return;
        }
        backend = connected;
        if (!opened) { // a retry after an unused backend (see retryUnusedBackend) is still one connection
            opened = true;
            counters.onConnectionOpened();
        }
        if (earlyReads != null) {
            Object msg;
            while ((msg = earlyReads.poll()) != null) {
                forwardToBackend(msg);
            }
            earlyReads = null;
            backend.flush();
        }
        toBackend.onConnected();
        // Unless reads held back during the connect already filled the backend's queue: then its writability
        // event turns reading on once it drains.
        if (toBackend.isOpen() && backend.isWritable()) {
            frontend.config().setAutoRead(true);
        }
    }

    /** Called by the connector when the schedule ran out or no endpoint is left to try. */
    void onConnectFailed() {
        connector = null;
        close(CloseReason.CONNECT_FAILED);
    }

    /** A frontend read that found no backend yet: kept until it connects, or released if the connection is over. */
    void holdUntilConnected(Object msg) {
        if (closed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (earlyReads == null) {
            earlyReads = new ArrayDeque<>(4);
        }
        earlyReads.add(msg);
    }

    private void forwardToBackend(Object msg) {
        if (msg instanceof ByteBuf buf) {
            onBytesToBackend(buf.readableBytes());
        }
        backend.write(msg, backend.voidPromise());
    }

    /** Counts bytes read from the frontend, for the service port and for this connection. */
    void onBytesToBackend(int bytes) {
        counters.onBytesToBackend(bytes);
        bytesToBackend += bytes;
        readLoopBytes += bytes;
    }

    /** Counts bytes read from the backend, for the service port and for this connection. */
    void onBytesToFrontend(int bytes) {
        counters.onBytesToFrontend(bytes);
        bytesToFrontend += bytes;
        readLoopBytes += bytes;
    }

    /**
     * A read loop ended on either side, after its bytes were flushed: the connection is not idle, and when the loop
     * moved enough bytes to mark a bulk transfer, the connection switches to splice.
     */
    void onReadComplete() {
        if (timer != null) {
            timer.touch(this);
        }
        int bytes = readLoopBytes;
        readLoopBytes = 0;
        if (spliceThresholdBytes > 0 && bytes >= spliceThresholdBytes && splice == null && !spliceRefused) {
            trySplice();
        }
    }

    /** Whether a {@link SpliceRelay} owns the sockets now: reads Netty still delivers go to {@link #carry}. */
    boolean isSpliced() {
        return splice != null;
    }

    /** A read Netty made while handing the sockets to the splice relay: it goes out before anything spliced. */
    void carry(boolean towardBackend, Object msg) {
        splice.carry(towardBackend, msg);
    }

    private void trySplice() {
        // Only between whole states of each direction: open, or done with its FIN passed on.
        boolean upDone = toBackend.isDone();
        boolean downDone = toFrontend.isDone();
        if (closed || backend == null || earlyReads != null || (!toBackend.isOpen() && !upDone)
                || (!toFrontend.isOpen() && !downDone) || (upDone && downDone)) {
            return;
        }
        if (!SpliceRelay.supports(frontend, backend)) {
            spliceRefused = true;
            return;
        }
        // The relay learns of a FIN Netty reads while letting go from an input shutdown event, never from a close.
        frontend.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, Boolean.TRUE);
        backend.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, Boolean.TRUE);
        splice = SpliceRelay.start(this, frontend, backend, upDone, downDone);
        if (splice == null) {
            spliceRefused = true; // no pipe to be had (open-files limit): this one stays on the copy relay
        }
    }

    /**
     * The frontend's queue crossed a water mark: read the backend only while the frontend can take more. A side
     * whose input has shut down is left alone; there is nothing more to read, and epoll may have dropped its fd
     * from the interest set already, so re-arming it would fail.
     */
    void onFrontendWritabilityChanged(boolean writable) {
        if (!closed && backend != null && splice == null && toFrontend.isOpen()) {
            backend.config().setAutoRead(writable);
            counters.onFlowControl(false, !writable);
        }
    }

    /** The backend's queue crossed a water mark: read the frontend only while the backend can take more. */
    void onBackendWritabilityChanged(boolean writable) {
        if (!closed && backend != null && splice == null && toBackend.isOpen()) {
            frontend.config().setAutoRead(writable);
            counters.onFlowControl(true, !writable);
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
        if (retryUnusedBackend(ENDED_UNUSED)) {
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
     * this connection itself, or from a shutdown.
     */
    void onFrontendInactive() {
        if (!closed && splice == null && toFrontend.isDone() && !shuttingDown()) {
            toBackend.onSourceInputShutdown();
            return;
        }
        stopIdleTimer();
        close(shuttingDown() ? CloseReason.SHUTDOWN : CloseReason.FRONTEND_ERROR);
    }

    /**
     * The backend closed: after the client's FIN was passed on, that is the backend's EOF (as for the frontend);
     * otherwise a failure. A connect attempt's channel given up before it connected is the connector's business.
     */
    void onBackendInactive() {
        if (backend == null) {
            return;
        }
        if (!closed && splice == null && toBackend.isDone() && !shuttingDown()) {
            toFrontend.onSourceInputShutdown();
            return;
        }
        if (retryUnusedBackend(ENDED_UNUSED)) {
            return;
        }
        close(shuttingDown() ? CloseReason.SHUTDOWN : CloseReason.BACKEND_ERROR);
    }

    /** The backend failed (a reset, typically): retried when it was never used, otherwise a backend error. */
    void onBackendError(Throwable cause) {
        if (!retryUnusedBackend(cause)) {
            close(CloseReason.BACKEND_ERROR);
        }
    }

    /**
     * A connected backend ended (reset, error or EOF) before the connection used it. The rule (issue 11): it is
     * retried on another endpoint, as after a failed connect, only when <b>no byte was written to it and none came
     * back</b>, and neither side has half-closed. Then there is nothing to replay, so nothing can reach an
     * application twice; this is the endpoint whose listener closed with the connection still in its accept queue
     * (the kernel resets those), or a server that closed at once. Once a byte was written the connection is not
     * retried: a reset then looks the same whether the backend's application never accepted the connection or read
     * the request, acted on it and died, and replaying a request that was acted on (a payment, a write) is worse
     * than a failed connection the client can retry knowing its protocol. Keeping the bytes until the first
     * response byte would also cost a copy or a retained buffer per read on the hot path. Bytes the client sent
     * while the proxy was still connecting were never written to the backend that ended; they are held and go to
     * the next one. The retry walks the rest of the connect schedule (same timeouts, same attempt count); the
     * connection is counted opened once.
     *
     * @return true when the backend was given up for a retry (or the schedule ran out and the connection closed)
     */
    private boolean retryUnusedBackend(Throwable cause) {
        BackendConnector retry = connectedBy;
        if (closed || retry == null || backend == null || splice != null || bytesToBackend != 0
                || bytesToFrontend != 0 || earlyReads != null || !toBackend.isOpen() || !toFrontend.isOpen()
                || shuttingDown()) {
            return false;
        }
        Channel unused = backend;
        backend = null;
        connectedBy = null;
        TcpBackendHandler.retire(unused);
        unused.close();
        frontend.config().setAutoRead(false); // reads wait in holdUntilConnected for the next backend
        connector = retry;
        retry.retryUnusedBackend(cause);
        return true;
    }

    /** Where the direction toward the backend (or else the frontend) writes, whether or not the connection is open. */
    Channel sink(boolean towardBackend) {
        return towardBackend ? backend : frontend;
    }

    /**
     * One direction has passed its FIN on; when both have, the connection is complete. After the first, the source
     * of the other direction stops allowing half-closure: its EOF ends the whole connection, so Netty may close it
     * at once instead of shutting its input down first (a shutdown(SHUT_RD) that fails with ENOTCONN when the peer
     * has already closed both ways, and on a backend an EPOLLIN wake-up and an epoll_ctl).
     */
    void onDirectionDone() {
        if (toBackend.isDone() && toFrontend.isDone()) {
            close(CloseReason.COMPLETED);
            return;
        }
        // A splice relay started later turns half-closure back on (see trySplice).
        Channel lastSource = toBackend.isDone() ? backend : frontend;
        lastSource.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, Boolean.FALSE);
    }

    /** Whether the direction opposite to the one toward the backend (or else the frontend) has passed its FIN on. */
    boolean isOppositeDone(boolean towardBackend) {
        return towardBackend ? toFrontend.isDone() : toBackend.isDone();
    }

    private boolean shuttingDown() {
        return frontend.eventLoop().isShuttingDown();
    }

    /**
     * Ends the connection for {@code reason} unless it has already ended. Refusals reset the client; a backend
     * failure still flushes what the backend sent before it failed; every other reason closes both sides now.
     */
    void close(CloseReason reason) {
        if (closed) {
            return;
        }
        closed = true;
        if (opened) {
            counters.onConnectionClosed(reason);
        } else {
            counters.onRejected(reason);
        }
        // After counting: whoever sees the table drained sees this close counted.
        if (context != null) {
            context.connections().remove(this);
        }
        releaseEarlyReads();
        if (reason != CloseReason.BACKEND_ERROR) {
            stopIdleTimer(); // a backend failure still flushes to the frontend, under the idle timeout
        }
        if (splice != null) {
            // Before the channels close: the relay's epoll registrations must leave while the descriptors are open.
            splice.release(reason);
        }
        if (connector != null) {
            connector.cancel();
            connector = null;
        }
        if (ageLimit != null) {
            ageLimit.cancel(false);
        }
        countIn(null);
        switch (reason) {
            case NO_ENDPOINTS, SOURCE_RANGE_REJECTED, MEMORY_REJECTED, CONNECT_FAILED, HOLD_TIMEOUT -> reset(frontend);
            case SHUTDOWN -> {
                if (context == null) { // held, never connected anywhere: refused, as at a hold timeout
                    reset(frontend);
                } else {
                    frontend.close();
                    closeIfConnected();
                }
            }
            case ENDPOINT_REMOVED -> {
                reset(frontend);
                closeIfConnected();
            }
            case BACKEND_ERROR -> {
                closeIfConnected();
                frontend.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
            default -> {
                frontend.close();
                closeIfConnected();
            }
        }
    }

    private void stopIdleTimer() {
        if (timer != null) {
            timer.stopIdle(this);
        }
    }

    private void closeIfConnected() {
        if (backend != null) {
            backend.close();
        }
    }

    private void releaseEarlyReads() {
        if (earlyReads != null) {
            Object msg;
            while ((msg = earlyReads.poll()) != null) {
                ReferenceCountUtil.release(msg);
            }
            earlyReads = null;
        }
    }

    /** Counts this connection in {@code newLoad} (null: nowhere), released from the one it was counted in before. */
    void countIn(EndpointLoad newLoad) {
        if (load != null) {
            load.release();
        }
        load = newLoad;
    }

    /** Closes this connection at {@code maxAge} from now (see {@link ConnectionAge}). On its event loop. */
    void limitAge(Future<?> close) {
        ageLimit = close;
    }

    /** The endpoint connected or being tried, and the service port: what a removal sweep compares. */
    Endpoint endpoint() {
        return endpoint;
    }

    TcpListenerContext context() {
        return context;
    }

    ServicePortName servicePort() {
        return servicePort;
    }

    /** Whether a backend accepted it (read racily off its loop, for views). */
    boolean isConnected() {
        return opened;
    }

    /** When the connection started connecting, on its event loop's ticker; fixed before it is listed. */
    long openedNanos() {
        return openedNanos;
    }

    /**
     * A sample of this connection for the connection view, taken on any thread (racy reads of loop-confined fields,
     * see {@link TcpConnectionTable}); {@code null} if the frontend's address is no longer known.
     */
    ConnectionInfo info(Instant now) {
        if (client == null) {
            return null;
        }
        Duration age = Duration.ofNanos(Math.max(0, ticker.nanoTime() - openedNanos));
        return new ConnectionInfo(context.listener(), servicePort, client, endpoint.address(), opened,
                now.minus(age), age, bytesToBackend, bytesToFrontend);
    }

    /** Closes with an RST instead of a FIN: the client learns at once that nothing will answer. */
    private static void reset(Channel channel) {
        channel.config().setOption(ChannelOption.SO_LINGER, 0);
        channel.close();
    }

    /**
     * Nothing was read on either side for the idle timeout (the timer's sweep, on the frontend's event loop). After a
     * close the connection is only still watched when the frontend is flushing what a failed backend sent; a flush
     * that made no progress for a whole timeout is cut off.
     */
    @Override
    void onTimeout() {
        if (closed) {
            frontend.close();
            return;
        }
        close(CloseReason.IDLE_TIMEOUT);
    }
}
