package io.userspaceproxy.core.relay.udp;

import com.github.benmanes.caffeine.cache.Ticker;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.Errors;
import io.netty.util.concurrent.ScheduledFuture;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.relay.ConnectionInfo;
import io.userspaceproxy.core.table.LiveRoute;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client address's flow: the backend channel connected to its endpoint, and what it needs to relay and expire.
 * Confined to the listener's event loop, which its backend channel shares, except {@link #onRemoved} (see there).
 *
 * <p>Idle expiry: each datagram, either way, stamps {@link #lastActivityNanos}; {@link #run} is the flow's single
 * timer, which fires when the flow could first be idle, and either ends the flow or re-arms for the remainder. A
 * busy flow therefore costs one timer per idle timeout, never one per datagram. Not {@code IdleStateHandler}: it
 * learns of writes through a listener on each write's promise, so every datagram written with a void promise would
 * get a new promise instead, and it sees only the backend channel while activity here spans both sockets.
 *
 * <p>Backpressure: UDP has none, so a side whose outbound buffer is over its high-water mark is flushed at once;
 * if the kernel still does not take the bytes, the datagram is dropped and counted rather than queued without bound.
 */
final class UdpFlow implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(UdpFlow.class);

    final InetSocketAddress client;
    final Endpoint endpoint;
    final ServicePortName servicePort;
    final ServicePortCounters counters;
    final Channel backend;
    /** When the flow's first datagram arrived (on {@link #ticker}). */
    final long openedNanos;
    private final UdpListenerFlows flows;
    private final Channel frontend;
    /** The table's clock: the system's, or a test's. */
    private final Ticker ticker;

    long idleTimeoutNanos;
    long lastActivityNanos;
    /** Set while this flow waits in the frontend's list of backends to flush at the end of the read loop. */
    boolean flushPending;
    /** The runs of datagrams to the endpoint and to the client, where the sockets can send them ({@link UdpTrain}). */
    private final @Nullable UdpTrain toBackendTrain;
    private final @Nullable UdpTrain toFrontendTrain;
    private @Nullable ScheduledFuture<?> idleCheck;
    // Read by the connection view off the event loop without synchronization: benign races, as for TCP connections.
    private long bytesToBackend;
    private long bytesToFrontend;

    private final ChannelFutureListener onBackendClosed = f -> onBackendClosed();

    UdpFlow(UdpListenerFlows flows, InetSocketAddress client, Endpoint endpoint, LiveRoute route, Channel backend) {
        this.flows = flows;
        this.client = client;
        this.endpoint = endpoint;
        this.servicePort = route.route().servicePort();
        this.counters = route.counters();
        this.backend = backend;
        this.frontend = flows.listenerChannel();
        this.ticker = flows.owner().ticker();
        this.idleTimeoutNanos = route.route().udpIdleTimeout().toNanos();
        this.openedNanos = ticker.read();
        UdpFlowTable table = flows.owner();
        boolean runs = table.options().gso() && UdpTrain.supported(backend) && UdpTrain.supported(frontend);
        this.toBackendTrain = runs ? new UdpTrain(backend, null, this::onBackendFailure, backend.alloc(), table)
                : null;
        this.toFrontendTrain = runs ? new UdpTrain(frontend, client, this::onRepliesLost, backend.alloc(), table)
                : null;
    }

    /** Arms the idle timer and ties the flow to its backend's life. */
    void start() {
        lastActivityNanos = ticker.read();
        idleCheck = frontend.eventLoop().schedule(this, idleTimeoutNanos, TimeUnit.NANOSECONDS);
        backend.closeFuture().addListener(onBackendClosed);
    }

    /**
     * Writes a client datagram's content to the endpoint, or adds it to the run that {@link #flushBackend} sends,
     * taking ownership of it (written, held or released). Returns whether it awaits a flush.
     *
     * @param nowNanos the flow's clock ({@link UdpFlowTable#ticker()}), read by the caller once per read loop
     *                 ({@link LoopClock}): idle timeouts need no finer time than one read loop
     */
    boolean toBackend(ByteBuf content, long nowNanos) {
        lastActivityNanos = nowNanos;
        int bytes = content.readableBytes();
        if (!backend.isWritable()) {
            flushBackend();
            if (!backend.isWritable()) {
                content.release();
                counters.onUdpDatagramDropped();
                return false;
            }
        }
        if (toBackendTrain != null) {
            toBackendTrain.add(content);
        } else if (backend.remoteAddress() != null) {
            backend.write(content, backend.voidPromise());
        } else {
            // io_uring connects a datagram socket asynchronously: until it has, each datagram names its endpoint.
            backend.write(new DatagramPacket(content, endpoint.address()), backend.voidPromise());
        }
        counters.onUdpDatagramToBackend(bytes);
        bytesToBackend += bytes;
        return true;
    }

    /**
     * Sends an endpoint reply to the client from the listener socket, so its source is the service address. The
     * frontend is flushed at the end of the backend's read loop. A reply sent alone needs an envelope, the one
     * allocation per datagram the relay makes: the listener socket is not connected, so each write must name its
     * recipient. Replies in a run share one.
     *
     * @param nowNanos the flow's clock, read by the caller once per read loop (see {@link #toBackend})
     */
    void toFrontend(DatagramPacket reply, long nowNanos) {
        lastActivityNanos = nowNanos;
        ByteBuf content = reply.content();
        int bytes = content.readableBytes();
        if (!frontend.isWritable()) {
            if (toFrontendTrain != null) {
                toFrontendTrain.send();
            }
            frontend.flush();
            if (!frontend.isWritable()) {
                reply.release();
                counters.onUdpDatagramDropped();
                return;
            }
        }
        if (toFrontendTrain != null) {
            toFrontendTrain.add(content);
        } else {
            frontend.write(new DatagramPacket(content, client), frontend.voidPromise());
        }
        counters.onUdpDatagramToFrontend(bytes);
        bytesToFrontend += bytes;
    }

    /** The listener's read loop ended (or the backend's buffer filled): what it read for the endpoint leaves now. */
    void flushBackend() {
        if (toBackendTrain != null) {
            toBackendTrain.send();
        }
        backend.flush();
    }

    /** The backend's read loop ended: its replies leave with the listener's next flush, this loop turn. */
    void flushFrontend() {
        if (toFrontendTrain != null) {
            toFrontendTrain.send();
        }
        flows.flushListenerSoon();
    }

    /** A run of replies the listener could not send: each is a datagram lost, as a failed single reply is. */
    private void onRepliesLost(Throwable cause, int datagrams) {
        dropped(datagrams);
        LOG.debug("{}: {} replies to {} lost on {}", flows.key(), datagrams, client, frontend, cause);
    }

    /** The idle timer. */
    @Override
    public void run() {
        long idle = ticker.read() - lastActivityNanos;
        long timeout = idleTimeoutNanos;
        if (idle >= timeout) {
            flows.remove(this);
        } else {
            idleCheck = frontend.eventLoop().schedule(this, timeout - idle, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * The backend socket failed. An ICMP port unreachable (nothing listens at the endpoint) is what a refused
     * connect is to TCP: the client is re-balanced away from the endpoint before the flow ends, so its next datagram
     * does not return there under ClientIP affinity. Any other error ends the flow too; the next datagram opens a
     * new one.
     */
    void onBackendFailure(Throwable cause) {
        onBackendFailure(cause, 1);
    }

    /** As {@link #onBackendFailure(Throwable)} for a run of {@code datagrams} that failed as one message. */
    private void onBackendFailure(Throwable cause, int datagrams) {
        if (isPortUnreachable(cause)) {
            counters.onConnectFailure();
            LiveRoute route = flows.currentRoute();
            if (route != null) {
                route.balancer().pickAfterFailure(client.getAddress(), endpoint);
            }
        } else {
            dropped(datagrams);
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: flow {} -> {} failed on {}, closing it: {}", flows.key(), client, endpoint, backend,
                    cause.toString());
        }
        flows.remove(this);
    }

    private static boolean isPortUnreachable(Throwable cause) {
        return cause instanceof PortUnreachableException
                || cause instanceof Errors.NativeIoException e
                        && e.expectedErr() == Errors.ERROR_ECONNREFUSED_NEGATIVE;
    }

    private void onBackendClosed() {
        if (idleCheck != null) {
            idleCheck.cancel(false);
        }
        flows.remove(this);
    }

    /**
     * Called exactly once, by the flow index's removal listener, whatever ended the flow. Runs on the event loop for
     * every removal the relay makes; it only touches thread-safe state (budget, counters, channel close) anyway.
     */
    void onRemoved() {
        flows.owner().releaseFlow();
        counters.onUdpFlowClosed();
        backend.close();
        // A run not sent yet is released here on the loop; off it, by the write its read loop still ends with.
        if (frontend.eventLoop().inEventLoop()) {
            if (toBackendTrain != null) {
                dropped(toBackendTrain.discard());
            }
            if (toFrontendTrain != null) {
                dropped(toFrontendTrain.discard());
            }
        }
    }

    private void dropped(int datagrams) {
        for (int i = 0; i < datagrams; i++) {
            counters.onUdpDatagramDropped();
        }
    }

    /** A sample for the connection view, on any thread: final fields plus two racily read byte counts. */
    ConnectionInfo info(Instant now) {
        Duration age = Duration.ofNanos(Math.max(0, ticker.read() - openedNanos));
        return new ConnectionInfo(flows.key(), servicePort, client, endpoint.address(), true, now.minus(age), age,
                bytesToBackend, bytesToFrontend);
    }

    @Override
    public String toString() {
        return client + " -> " + endpoint;
    }
}
