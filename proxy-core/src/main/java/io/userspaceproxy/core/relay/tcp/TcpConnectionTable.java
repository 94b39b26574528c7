package io.userspaceproxy.core.relay.tcp;

import io.netty.channel.EventLoop;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.relay.ConnectionInfo;
import io.userspaceproxy.core.relay.OldestFirst;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The proxied TCP connections open now across every listener of a listener set, for the {@code /connections} view
 * and for a graceful drain. A connection is in the table from the moment it starts connecting to an endpoint (it
 * passed the route, source range and balancer checks) until it closes, whatever closes it. So a drain also waits for
 * connections still walking their connect schedule, which a shutdown would otherwise cut off; refused connections
 * never enter.
 *
 * <p><b>Why one concurrent set, and not a set per event loop.</b> Each connection is added and removed once, on its
 * event loop, never per read. A {@link ConcurrentHashMap} keyed by the connection object (identity hash) does that
 * with one CAS into an empty bin in the common case and a striped size counter, so event loops hardly ever touch
 * the same cache line. Per-loop sets would save that CAS, but a reader would then have to submit a task to every
 * loop and wait: the view would be as slow as the busiest loop and would time out exactly when a stuck loop is what
 * the operator came to see. Here a reader iterates a weakly consistent view on its own thread and never waits for,
 * or delays, an event loop.
 *
 * <p><b>Reading a connection's state off its loop.</b> The identity of a connection (listener, service port, accept
 * time) is written before it is added, so the add publishes it. Its byte counts, its endpoint and whether it has
 * connected are plain fields its event loop keeps updating: a reader sees values the connection really had a moment
 * ago, without a fence on the relay path. The byte counts are {@code long}s, which the JLS allows to tear on a
 * 32-bit JVM without {@code volatile}; the 64-bit JVMs this runs on (and epoll's native builds) write them whole.
 * A torn count would only ever mislead one sample of this diagnostic view, never the relay or the metrics.
 */
public final class TcpConnectionTable {

    private final Set<TcpConnection> open = ConcurrentHashMap.newKeySet();
    /** One timer per event loop for the idle and connect timeouts of that loop's connections. */
    private final ConcurrentHashMap<EventLoop, ConnectionTimer> timers = new ConcurrentHashMap<>();
    /** Completed when the table becomes empty while a drain waits; replaced by the next wait once done. */
    private final AtomicReference<CompletableFuture<Void>> emptied = new AtomicReference<>();
    /** Connections accepted but waiting for an endpoint: not open yet, so not in this table until released. */
    private final HeldConnections held = new HeldConnections();

    private TcpConnectionTable() {
    }

    public static TcpConnectionTable create() {
        return new TcpConnectionTable();
    }

    /** The connections held for want of an endpoint, across every listener of the listener set. */
    public HeldConnections held() {
        return held;
    }

    /**
     * After a sync changed the routes of {@code servicePorts}: each open connection of one of them is judged on its
     * event loop by {@link EndpointRemoval} (closed now or after a drain if its endpoint left its route and the
     * route's lifecycle says so). O(open connections); call it only for service ports whose lifecycle is not keep.
     */
    public void onEndpointsChanged(Set<ServicePortName> servicePorts) {
        for (TcpConnection connection : open) {
            if (servicePorts.contains(connection.servicePort())) {
                connection.frontend().eventLoop().execute(() -> EndpointRemoval.check(connection));
            }
        }
    }

    /**
     * Connected connections now, by service port and endpoint: one pass over the table on the calling thread,
     * reading each connection's endpoint racily (see the class comment), for the per-endpoint view and metrics.
     */
    public Map<ServicePortName, Map<Endpoint, Integer>> openByEndpoint() {
        Map<ServicePortName, Map<Endpoint, Integer>> out = new HashMap<>();
        for (TcpConnection connection : open) {
            Endpoint endpoint = connection.endpoint();
            if (connection.isConnected() && endpoint != null) {
                out.computeIfAbsent(connection.servicePort(), s -> new HashMap<>()).merge(endpoint, 1, Integer::sum);
            }
        }
        return out;
    }

    /** Connections open now (connecting or relaying); a striped count, exact when nothing changes meanwhile. */
    public int size() {
        return open.size();
    }

    /**
     * Samples the {@code limit} oldest connections, oldest first: O(n log limit) on the calling thread, without
     * involving any event loop. A connection that closes meanwhile may or may not appear.
     *
     * @param now the wall clock of the sample, from which {@link ConnectionInfo#openedAt()} is derived
     * @throws IllegalArgumentException when {@code limit} is negative
     */
    public List<ConnectionInfo> oldest(int limit, Instant now) {
        Objects.requireNonNull(now, "now");
        List<TcpConnection> page = OldestFirst.select(open, limit, TcpConnection::openedNanos);
        List<ConnectionInfo> infos = new ArrayList<>(page.size());
        for (TcpConnection connection : page) {
            ConnectionInfo info = connection.info(now);
            if (info != null) {
                infos.add(info);
            }
        }
        return infos;
    }

    /**
     * Waits until no connection is open, or the timeout passes. Does not stop new connections from arriving: call it
     * after the listeners stopped accepting. Wakes up when the last connection closes, not by polling.
     *
     * @return whether the table was empty on return
     * @throws IllegalArgumentException when {@code timeout} is negative
     */
    public boolean awaitEmpty(Duration timeout) throws InterruptedException {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout: " + timeout + " (expected: >= 0)");
        }
        long deadline = System.nanoTime() + saturatedNanos(timeout);
        while (true) {
            CompletableFuture<Void> signal = armSignal();
            // Armed before checking: a close that empties the table after this check sees the signal.
            if (open.isEmpty()) {
                return true;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                signal.get(left, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                return open.isEmpty();
            } catch (ExecutionException e) {
                throw new IllegalStateException("the drain signal is never completed exceptionally", e);
            }
        }
    }

    /**
     * The timer of {@code loop}'s connections, made on first use with {@code idleTimeoutNanos}: every listener of a
     * table must use the same idle timeout (a listener set's do, from its one {@code RelayOptions}).
     */
    ConnectionTimer timer(EventLoop loop, long idleTimeoutNanos) {
        ConnectionTimer timer = timers.get(loop);
        return timer != null ? timer : timers.computeIfAbsent(loop, l -> new ConnectionTimer(l, idleTimeoutNanos));
    }

    /** The open connections, a weakly consistent live view; for tests that look at their channels. */
    Iterable<TcpConnection> openConnections() {
        return open;
    }

    /** On the connection's event loop, once it is routed and about to connect. */
    void add(TcpConnection connection) {
        open.add(connection);
    }

    /** On the connection's event loop, when it closes. Completing the signal only unparks waiters: it never blocks. */
    void remove(TcpConnection connection) {
        if (open.remove(connection)) {
            CompletableFuture<Void> signal = emptied.get();
            if (signal != null && open.isEmpty()) {
                signal.complete(null);
            }
        }
    }

    /** The pending signal, shared by concurrent waiters, or a fresh one when the last has fired. */
    private CompletableFuture<Void> armSignal() {
        while (true) {
            CompletableFuture<Void> current = emptied.get();
            if (current != null && !current.isDone()) {
                return current;
            }
            CompletableFuture<Void> next = new CompletableFuture<>();
            if (emptied.compareAndSet(current, next)) {
                return next;
            }
        }
    }

    private static long saturatedNanos(Duration timeout) {
        try {
            return timeout.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 2;
        }
    }
}
