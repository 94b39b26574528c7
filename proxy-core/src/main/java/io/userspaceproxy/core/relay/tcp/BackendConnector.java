package io.userspaceproxy.core.relay.tcp;

import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.userspaceproxy.core.metrics.CloseReason;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.table.LiveRoute;
import java.net.InetAddress;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connects one accepted connection to an endpoint, walking the retry schedule of the legacy userspace proxier:
 * attempt {@code i} may take {@code connectTimeouts[i]}, and after a failure the next attempt goes to another
 * endpoint than the failed one ({@link io.userspaceproxy.core.balance.LoadBalancer#pickAfterFailure}), asked of
 * the route as it is now, so a retry never goes to an endpoint a sync has just removed.
 *
 * <p>The backend channel is registered on the frontend's event loop, so the whole connection runs on one thread.
 * This does what {@code new Bootstrap().group(frontend.eventLoop()).channelFactory(f).connect(address)} does, minus
 * what a Bootstrap costs per attempt: copying its option maps (under a lock on the map when cloned from a shared
 * template), boxing the timeout, and asking the resolver group for this loop's resolver (another lock) for an
 * address the snapshot resolved long ago.
 *
 * <p>The attempt's timeout is kept by the loop's {@link ConnectionTimer}, not by Netty ({@code CONNECT_TIMEOUT} is
 * 0): Netty would schedule a task per attempt and cancel it when the connect completes, two trips through the
 * loop's priority queue for every connection. When the timer fires first, the attempt's channel is closed and the
 * next attempt starts; whatever its connect future says later is ignored.
 */
final class BackendConnector extends TimerEntry implements ChannelFutureListener {

    private static final ConnectTimeoutException TIMED_OUT = new ConnectTimeoutException("connect timed out");

    private static final Logger log = LoggerFactory.getLogger(BackendConnector.class);

    private final TcpListenerContext context;
    private final TcpConnection connection;
    private final ConnectionTimer timer;
    private final InetAddress client;
    private final @Nullable ProxyHeader header;
    private final Endpoint first;

    private int attempt;
    private Endpoint endpoint;
    private @Nullable Channel pending;
    private boolean cancelled;

    /**
     * @param timer  the connection's event loop's, which keeps each attempt's timeout
     * @param header the PROXY protocol header every connected backend gets first; null for none
     * @param first  the endpoint the balancer picked, tried first
     */
    BackendConnector(TcpListenerContext context, TcpConnection connection, ConnectionTimer timer, InetAddress client,
            @Nullable ProxyHeader header, Endpoint first) {
        this.context = context;
        this.connection = connection;
        this.timer = timer;
        this.client = client;
        this.header = header;
        this.first = first;
        this.endpoint = first;
    }

    void connect() {
        tryConnect(first);
    }

    /** The frontend went away: abandon the attempt in flight; its failure will not be retried. */
    void cancel() {
        cancelled = true;
        timer.stopConnect(this);
        if (pending != null) {
            pending.close();
        }
    }

    private void tryConnect(Endpoint target) {
        endpoint = target;
        connection.onConnecting(target);
        Channel channel;
        try {
            channel = context.backendChannelFactory() instanceof BackendChannelFactory byEndpoint
                    ? byEndpoint.newChannel(target.address())
                    : context.backendChannelFactory().newChannel();
        } catch (ChannelException e) {
            // Typically "Too many open files": a failed attempt like any other.
            onAttemptFailed(e);
            return;
        }
        ChannelConfig config = channel.config();
        config.setConnectTimeoutMillis(0); // the loop's ConnectionTimer keeps it
        config.setOption(ChannelOption.ALLOW_HALF_CLOSURE, Boolean.TRUE);
        config.setWriteBufferWaterMark(context.waterMark());
        channel.pipeline().addLast(new TcpBackendHandler(connection, context.memoryGuard()));
        // On the frontend's own loop, registration completes before register() returns.
        ChannelFuture registered = connection.frontend().eventLoop().register(channel);
        if (registered.cause() != null) {
            channel.unsafe().closeForcibly();
            onAttemptFailed(registered.cause());
            return;
        }
        pending = channel;
        timer.startConnect(this, context.connectTimeoutNanos(attempt));
        channel.connect(target.address()).addListener(this);
    }

    /** The attempt in flight took longer than its timeout: give it up and try the next, as a failed one. */
    @Override
    void onTimeout() {
        Channel channel = pending;
        pending = null;
        if (channel != null) { // always: the timer watches an attempt only while its channel is pending
            channel.close();
        }
        onAttemptFailed(TIMED_OUT);
    }

    @Override
    public void operationComplete(ChannelFuture future) {
        Channel channel = future.channel();
        if (channel != pending) {
            channel.close(); // an attempt that timed out: its outcome no longer matters
            return;
        }
        pending = null;
        timer.stopConnect(this);
        if (cancelled) {
            channel.close();
            return;
        }
        if (future.isSuccess()) {
            LiveRoute route = context.lookupRoute();
            if (route != null) {
                connection.countIn(route.balancer().onConnected(endpoint));
            }
            if (header != null) {
                header.writeTo(channel);
            }
            connection.onBackendConnected(channel);
            return;
        }
        channel.close();
        onAttemptFailed(future.cause());
    }

    private void onAttemptFailed(Throwable cause) {
        if (cancelled) {
            return;
        }
        ServicePortCounters counters = connection.counters();
        counters.onConnectFailure();
        LiveRoute route = context.lookupRoute();
        if (route != null) {
            route.balancer().onConnectFailed(endpoint);
        }
        if (log.isDebugEnabled()) {
            log.debug("{} connect to {} failed (attempt {} of {}): {}", connection.frontend(), endpoint, attempt + 1,
                    context.connectAttempts(), cause.toString());
        }
        Endpoint next = ++attempt < context.connectAttempts() ? nextEndpoint() : null;
        if (next == null) {
            connection.close(CloseReason.CONNECT_FAILED);
            return;
        }
        counters.onConnectRetry();
        tryConnect(next);
    }

    /**
     * Retries, on another endpoint, a backend this connector connected that ended (reset, error or EOF) before the
     * connection used it. Counted and scheduled as a failed attempt: the next timeout of the schedule, an endpoint
     * other than the one that ended; when no attempt or endpoint is left, the connection closes as
     * {@code CONNECT_FAILED}. Kept apart from the connect path on purpose.
     *
     * <p>The rule (issue 11): a connection retries only when <b>no byte was written to the backend and none came
     * back</b>, and neither side has half-closed. Then there is nothing to replay, so nothing can reach an
     * application twice; this is the endpoint whose listener closed with the connection still in its accept queue
     * (the kernel resets those), or a server that closed at once. Once a byte was written there is no retry: a reset
     * then looks the same whether the backend's application never accepted the connection or read the request,
     * acted on it and died, and replaying a request that was acted on (a payment, a write) is worse than a failed
     * connection the client can retry knowing its protocol. Keeping the bytes until the first response byte would
     * also cost a copy or a retained buffer per read on the hot path. Bytes the client sent while the proxy was
     * still connecting were never written to the backend that ended; they are held and go to the next one. The
     * connection is counted opened once.
     */
    void retryUnusedBackend(Throwable cause) {
        pending = null;
        onAttemptFailed(cause);
    }

    private @Nullable Endpoint nextEndpoint() {
        LiveRoute route = context.lookupRoute();
        return route == null ? null : route.balancer().pickAfterFailure(client, endpoint, first);
    }
}
