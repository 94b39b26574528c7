package io.userspaceproxy.core.relay.tcp;

import io.netty.channel.Channel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.userspaceproxy.core.balance.EndpointLoad;
import io.userspaceproxy.core.metrics.CloseReason;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.relay.ConnectionInfo;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One proxied TCP connection, from accept to close: its connect, its timers and its accounting. Its two directions,
 * and the half-close and splice rules between them, are its {@link DuplexRelay}'s. Listed in its listener set's
 * {@link TcpConnectionTable} from its first connect attempt until {@link #close}. Confined to the frontend's event
 * loop (the backend is registered on the same loop), so nothing here is volatile or locked.
 *
 * <p><b>Close accounting.</b> {@link #close} runs once and records exactly one reason:
 * {@code onConnectionClosed} when the backend had connected ({@code onConnectionOpened} was counted), otherwise
 * {@code onRejected}. What each reason does to the sockets is {@link CloseActions}'s. Its idle and connect timeouts
 * are kept by its event loop's {@link ConnectionTimer}.
 */
final class TcpConnection extends TimerEntry {

    static final IOException ENDED_UNUSED = new IOException("the backend closed before a byte was sent either way");

    private final Channel frontend;
    private final ServicePortCounters counters;
    private final long idleTimeoutNanos;
    private final DuplexRelay relay;

    /** Walks the connect schedule; kept once connected, to retry a backend that ended unused. */
    private @Nullable BackendConnector connector;
    private @Nullable HeldReads heldReads;
    private boolean opened;
    private boolean closed;
    private @Nullable ConnectionTimer timer;
    // Set once before the table lists this connection, so the table's add publishes them to readers.
    private @Nullable TcpListenerContext context;
    private @Nullable ServicePortName servicePort;
    private @Nullable InetSocketAddress client;
    private long openedNanos;
    /** The close at the route's maximum age; null when it has none. */
    private @Nullable Future<?> ageLimit;
    /** Where least-connections counts this connection; null when nothing does. */
    private @Nullable EndpointLoad load;
    // Read by TcpConnectionTable off this loop without synchronization: benign races, see there.
    private @Nullable Endpoint endpoint;

    TcpConnection(Channel frontend, ServicePortCounters counters, long idleTimeoutNanos) {
        this.frontend = frontend;
        this.counters = counters;
        this.idleTimeoutNanos = idleTimeoutNanos;
        this.relay = new DuplexRelay(this, frontend);
    }

    Channel frontend() {
        return frontend;
    }

    DuplexRelay relay() {
        return relay;
    }

    /** The connected backend, or {@code null} before it connected and once the connection is closed. */
    @Nullable Channel backend() {
        return closed ? null : relay.backend();
    }

    ServicePortCounters counters() {
        return counters;
    }

    boolean isClosed() {
        return closed;
    }

    boolean isShuttingDown() {
        return frontend.eventLoop().isShuttingDown();
    }

    /**
     * Lists the connection in its table, starts the idle timer and the first connect attempt, to {@code first}.
     *
     * @param servicePort the service port whose route accepted the connection
     * @param client      the client: the frontend's peer, or the one a PROXY protocol header named
     * @param header      what each connected backend gets first; null for nothing
     */
    void connect(TcpListenerContext context, ServicePortName servicePort, InetSocketAddress client,
            @Nullable ProxyHeader header, Endpoint first) {
        this.context = context;
        this.client = client;
        this.servicePort = servicePort;
        this.endpoint = first;
        this.openedNanos = frontend.eventLoop().ticker().nanoTime();
        relay.spliceFrom(context.spliceThresholdBytes());
        context.connections().add(this);
        ConnectionTimer loopTimer = context.connections().timer(frontend.eventLoop(), idleTimeoutNanos);
        startIdleTimer(loopTimer);
        connector = new BackendConnector(context, this, loopTimer, client.getAddress(), header, first);
        connector.connect();
    }

    /** Puts the connection under {@code loopTimer}, its event loop's, for its idle and connect timeouts. */
    void startIdleTimer(ConnectionTimer loopTimer) {
        timer = loopTimer;
        if (idleTimeoutNanos > 0) {
            loopTimer.startIdle(this);
        }
    }

    /** Called by the connector before each attempt: the endpoint the connection table shows. */
    void onConnecting(Endpoint target) {
        endpoint = target;
    }

    /** Called by the connector once a backend accepted: counts the connection and starts relaying. */
    void onBackendConnected(Channel connected) {
        if (closed) {
            connected.close();
            return;
        }
        if (!opened) { // a retry after an unused backend (see retryUnusedBackend) is still one connection
            opened = true;
            counters.onConnectionOpened();
        }
        HeldReads held = heldReads;
        heldReads = null;
        relay.attach(connected, held);
    }

    /** A frontend read that found no backend yet: kept until it connects, or released if the connection is over. */
    void holdUntilConnected(Object msg) {
        if (closed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (heldReads == null) {
            heldReads = new HeldReads();
        }
        heldReads.add(msg);
    }

    /** A read loop ended on either side, after its bytes were flushed: the connection is not idle. */
    void onReadComplete() {
        if (timer != null) {
            timer.touch(this);
        }
        relay.onReadComplete();
    }

    /** The backend failed (a reset, typically): retried when it was never used, otherwise a backend error. */
    void onBackendError(Throwable cause) {
        if (!retryUnusedBackend(cause)) {
            close(CloseReason.BACKEND_ERROR);
        }
    }

    /**
     * Gives up a connected backend that ended (reset, error or EOF) before a byte went either way and before either
     * side half-closed, and has its connector try another endpoint: the rule, and why no more than that, is at
     * {@link BackendConnector#retryUnusedBackend}. Reads from now on wait in {@link #holdUntilConnected}.
     *
     * @return true when the backend was given up for a retry (or the schedule ran out and the connection closed)
     */
    boolean retryUnusedBackend(Throwable cause) {
        BackendConnector retry = connector;
        Channel unused = relay.backend();
        if (closed || retry == null || unused == null || !relay.isUnused() || isShuttingDown()) {
            return false;
        }
        relay.detach();
        TcpBackendHandler.retire(unused);
        unused.close();
        frontend.config().setAutoRead(false);
        retry.retryUnusedBackend(cause);
        return true;
    }

    /** The frontend closed without ending the relay: an error, a shutdown, or after the close of the connection. */
    void onFrontendClosed() {
        stopIdleTimer(); // also after a backend error, whose close left the timer watching the last flush
        close(isShuttingDown() ? CloseReason.SHUTDOWN : CloseReason.FRONTEND_ERROR);
    }

    /** Ends the connection for {@code reason}, counted once, unless it has already ended. */
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
        if (heldReads != null) {
            heldReads.release();
            heldReads = null;
        }
        if (reason != CloseReason.BACKEND_ERROR) {
            stopIdleTimer(); // a backend failure still flushes to the frontend, under the idle timeout
        }
        relay.release(reason); // before the channels close: a splice relay's registrations leave first
        if (connector != null) {
            connector.cancel();
        }
        if (ageLimit != null) {
            ageLimit.cancel(false);
        }
        countIn(null);
        CloseActions.closeChannels(reason, frontend, relay.backend(), context != null);
    }

    private void stopIdleTimer() {
        if (timer != null) {
            timer.stopIdle(this);
        }
    }

    /** Counts this connection in {@code newLoad} (null: nowhere), released from the one it was counted in before. */
    void countIn(@Nullable EndpointLoad newLoad) {
        if (load != null) {
            load.release();
        }
        load = newLoad;
    }

    /** Closes this connection at {@code maxAge} from now (see {@link ConnectionAge}). On its event loop. */
    void limitAge(Future<?> close) {
        ageLimit = close;
    }

    /** The endpoint connected or being tried: what a removal sweep compares. Null until it starts connecting. */
    @Nullable Endpoint endpoint() {
        return endpoint;
    }

    /** Its listener's; null until it starts connecting (a held connection has not). */
    @Nullable TcpListenerContext context() {
        return context;
    }

    /** The service port whose route accepted it; null until it starts connecting. */
    @Nullable ServicePortName servicePort() {
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
     * see {@link TcpConnectionTable}); {@code null} before it started connecting.
     */
    @Nullable ConnectionInfo info(Instant now) {
        TcpListenerContext listed = context;
        ServicePortName port = servicePort;
        InetSocketAddress from = client;
        Endpoint to = endpoint;
        if (listed == null || port == null || from == null || to == null) {
            return null;
        }
        Duration age = Duration.ofNanos(Math.max(0, frontend.eventLoop().ticker().nanoTime() - openedNanos));
        return new ConnectionInfo(listed.listener(), port, from, to.address(), opened, now.minus(age), age,
                relay.bytesToBackend(), relay.bytesToFrontend());
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
