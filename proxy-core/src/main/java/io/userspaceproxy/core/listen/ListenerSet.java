package io.userspaceproxy.core.listen;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.userspaceproxy.core.balance.AffinityTable;
import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.balance.OutlierTable;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.RouteChanges;
import io.userspaceproxy.core.model.RouteSnapshot;
import io.userspaceproxy.core.relay.ConnectionInfo;
import io.userspaceproxy.core.relay.tcp.HeldConnections;
import io.userspaceproxy.core.relay.tcp.TcpConnectionTable;
import io.userspaceproxy.core.relay.udp.UdpFlowTable;
import io.userspaceproxy.core.table.RouteTable;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data plane: one event loop group that carries every listener, every accepted connection and its backend (on
 * io_uring a second group, of epoll loops, carries the UDP listeners and flows: see
 * {@link Transport#datagramTransport()}), the connection and flow tables, the affinity memory, and the listeners of
 * every {@link ListenerKey} of its {@link RouteTable}. On epoll every key has one SO_REUSEPORT socket per event
 * loop, each keeping the connections it accepts, or the UDP flows it opens, on its own loop, until the
 * {@link ListenerOptions#socketBudget() socket budget} is spent; past it, and on NIO, a key has one.
 *
 * <p>{@link #apply(RouteChanges)} moves the data plane by a change, at the cost of the change (the
 * {@code Reconciler} does the work): each changed route is published with one volatile write into its listener's
 * {@link io.userspaceproxy.core.table.RouteSlot}, which the listener's connections read; only then are sockets
 * touched: the listeners of removed keys close (their open connections continue until they end on their own) and
 * new keys get listeners. A key whose route changed (endpoints, affinity, source ranges) keeps its listener; the next
 * accepted connection simply reads the new route. A bind that fails affects no other listener: it is logged once,
 * counted, reported in the {@link ApplyResult} and tried again by every later apply.
 *
 * <p>A closed listener refuses new connections at once on epoll. On NIO the JDK closes a registered listening socket
 * at its selector's next select: a client connecting in that moment is reset, and an overlapping bind may fail once.
 *
 * <p><b>Graceful drain.</b> On SIGTERM: {@link #stopAccepting()} (new clients are refused, or go to a new agent
 * sharing the ports, see below), {@link #awaitDrained} (open connections finish on their own, up to a deadline),
 * then {@link #close()}, which ends what is left, counted as {@link io.userspaceproxy.core.metrics.CloseReason#SHUTDOWN}.
 *
 * <p><b>Upgrade hand-over.</b> An upgrade must not close a listening socket that still holds work (connections in
 * its accept queue, datagrams in its receive buffer). An old agent {@link #lendDescriptors lends} its sockets to the
 * new one (see {@link io.userspaceproxy.core.handover}), which {@link #inherit inherits} them: its next apply adopts
 * each for its key instead of binding and closes those no key wants. When the old agent then
 * {@link #stopAccepting() stops accepting}, it closes only its own descriptors; the kernel sockets, queues included,
 * live on in the new agent. Without a hand-over (NIO, or it failed) a new agent binds beside this one with
 * SO_REUSEPORT, and what is queued here when this agent's listeners close is reset by the kernel unless
 * {@code net.ipv4.tcp_migrate_req} is 1 (Linux 5.14 and later); {@link #stopAccepting()} logs which applies. UDP
 * clients then reach the new agent with their next datagram, which opens a flow of its own for them.
 *
 * <p>Threading: {@link #apply}, {@link #stopAccepting}, {@link #inherit}, {@link #lendDescriptors} and {@link #close}
 * are meant for one control-plane thread (they are serialized, and refuse to run on an event loop because they wait
 * for sockets). {@link #awaitDrained} blocks any thread but an event loop, without holding the lock the others take.
 * The views ({@link #table()}, {@link #boundKeys()}, {@link #connections}, ...) may be read from any thread.
 */
public final class ListenerSet implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ListenerSet.class);
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(5);

    private final Transport transport;
    private final EventLoopGroup group;
    /** UDP's loops: {@link #group} itself, or on io_uring a group of {@link Transport#datagramTransport()}. */
    private final EventLoopGroup udpGroup;
    private final AffinityTable affinities;
    private final UdpFlowTable udpFlows;
    private final TcpConnectionTable tcpConnections = TcpConnectionTable.create();
    private final RouteTable table;
    private final ListenerSockets sockets;
    private final Reconciler reconciler;
    private final OutlierTable outliers;
    private boolean closed;

    /**
     * Starts the event loops, balancing each route as its session affinity says (round-robin, or ClientIP affinity
     * through one process-wide {@link AffinityTable}); binds nothing until the first {@link #apply}.
     *
     * @param counters where every service port's and listener's counters live
     */
    public ListenerSet(ListenerOptions options, ProxyCounters counters) {
        this(options, AffinityTable.create(), OutlierTable.create(), counters);
    }

    private ListenerSet(ListenerOptions options, AffinityTable affinities, OutlierTable outliers,
            ProxyCounters counters) {
        this(options, BalancerFactory.of(affinities, outliers, counters), affinities, outliers, counters);
    }

    /**
     * Starts the event loops with a given balancer factory (tests, benchmarks); binds nothing until the first apply.
     *
     * @param balancerFactory makes the balancer of each new route (round-robin, ClientIP affinity, ...)
     * @param counters        where every service port's and listener's counters live
     */
    public ListenerSet(ListenerOptions options, BalancerFactory balancerFactory, ProxyCounters counters) {
        this(options, balancerFactory, AffinityTable.create(), OutlierTable.create(), counters);
    }

    private ListenerSet(ListenerOptions options, BalancerFactory balancerFactory, AffinityTable affinities,
            OutlierTable outliers, ProxyCounters counters) {
        Objects.requireNonNull(options, "options");
        this.transport = options.transport().requireAvailable();
        this.affinities = affinities;
        this.outliers = outliers;
        this.udpFlows = UdpFlowTable.create(options.udp(), options.memoryGuard());
        this.group = transport.newEventLoopGroup(options.ioThreads());
        Transport udpTransport = transport.datagramTransport();
        this.udpGroup = udpTransport == transport ? group : udpTransport.newEventLoopGroup(options.ioThreads());
        this.table = RouteTable.create(balancerFactory, counters);
        this.sockets = new ListenerSockets(options, group, udpGroup, udpFlows, tcpConnections, counters);
        this.reconciler = new Reconciler(table, sockets, udpFlows, affinities, outliers, tcpConnections, counters,
                options.bindTimeout());
    }

    /** The live UDP flows, for metrics and tests. */
    public UdpFlowTable udpFlows() {
        return udpFlows;
    }

    /** The ClientIP affinity memory of every service port. */
    public AffinityTable affinities() {
        return affinities;
    }

    /** The routes the event loops serve now, one slot per listener key. */
    public RouteTable table() {
        return table;
    }

    /** The keys that have a bound listener now. */
    public Set<ListenerKey> boundKeys() {
        return Set.copyOf(sockets.keys());
    }

    public Transport transport() {
        return transport;
    }

    /** Every listening channel of {@code key} (one per event loop on epoll), or none; for tests. */
    List<Channel> listeners(ListenerKey key) {
        return sockets.sockets(key);
    }

    /** The proxied TCP connections and the outlier records: for {@link EndpointView} and tests. */
    TcpConnectionTable tcpConnections() {
        return tcpConnections;
    }

    OutlierTable outliers() {
        return outliers;
    }

    /** The TCP connections held for want of an endpoint ({@code hold-when-empty}), with their demand observer. */
    public HeldConnections heldConnections() {
        return tcpConnections.held();
    }

    /**
     * The {@code limit} oldest proxied TCP connections (from their first connect attempt) and UDP flows, oldest first,
     * for an operator's view, in O(n log limit) on the calling thread without waiting for an event loop (byte counts
     * are read racily, see {@link TcpConnectionTable}); {@link #connectionCount()} says how many there are in all.
     */
    public List<ConnectionInfo> connections(int limit) {
        Instant now = Instant.now();
        List<ConnectionInfo> merged = new ArrayList<>(tcpConnections.oldest(limit, now));
        merged.addAll(udpFlows.oldest(limit, now));
        merged.sort(ConnectionInfo.OLDEST_FIRST);
        return List.copyOf(merged.subList(0, Math.min(limit, merged.size())));
    }

    /** Open TCP connections (connecting or relaying) plus live UDP flows; cheap (striped counters, no scan). */
    public int connectionCount() {
        return tcpConnections.size() + udpFlows.activeFlows();
    }

    /**
     * Waits, without polling, until every proxied TCP connection has ended or {@code timeout} passes: the middle step
     * of a graceful drain, after {@link #stopAccepting()}. UDP flows end with their listeners: nothing to wait for.
     *
     * @return true when no TCP connection is open, false when the timeout passed first
     * @throws IllegalStateException when called on an event loop (it would wait for itself)
     */
    public boolean awaitDrained(Duration timeout) throws InterruptedException {
        requireOffEventLoop();
        return tcpConnections.awaitEmpty(timeout);
    }

    /**
     * Applies a change: every upserted key serves its new route (bound if it has no listener yet), every removed key
     * is closed, and keys whose earlier bind failed are tried again; waits at most
     * {@link ListenerOptions#bindTimeout()} for the binds. Keys not named keep their listener and route, and cost
     * nothing.
     *
     * @throws IllegalStateException when called on an event loop or after {@link #close()}
     */
    public synchronized ApplyResult apply(RouteChanges changes) {
        Objects.requireNonNull(changes, "changes");
        requireControlThread();
        return reconciler.apply(changes);
    }

    /**
     * Makes {@code snapshot} the whole state: {@link #apply(RouteChanges)} with every route of it and the removal of
     * every key it lacks. Linear in the table; for a start from nothing, a full resync and tests.
     *
     * @throws IllegalStateException when called on an event loop or after {@link #close()}
     */
    public synchronized ApplyResult apply(RouteSnapshot snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        return apply(RouteChanges.between(table.keys(), snapshot));
    }

    /**
     * Runs {@code use} with the descriptor of every listening socket (none on NIO) under the lock {@link #apply} and
     * {@link #stopAccepting} take, so that no descriptor is closed, or its number reused, while {@code use} sends
     * them; keep it short, syncs wait. Closing lent sockets later is logged as harmless, not as a risk of resets.
     *
     * @throws IllegalStateException when called on an event loop or after {@link #close()}
     */
    public synchronized <T> T lendDescriptors(Function<List<ListenerDescriptor>, T> use) {
        requireControlThread();
        List<ListenerDescriptor> descriptors = sockets.descriptors();
        T result = use.apply(descriptors);
        sockets.markLent(descriptors);
        return result;
    }

    /**
     * Takes sockets an old agent handed over, now this set's to close: the next {@link #apply} adopts those whose key
     * it serves (every socket of a key, whatever the budget) instead of binding, and closes the rest. Call before the
     * first apply; NIO closes them at once and binds as usual.
     *
     * @throws IllegalStateException when called on an event loop or after {@link #close()}
     */
    public synchronized void inherit(Collection<ListenerDescriptor> descriptors) {
        Objects.requireNonNull(descriptors, "descriptors");
        requireControlThread();
        sockets.inherit(descriptors);
    }

    /**
     * Closes every listener but leaves accepted connections to finish (the first step of a graceful drain). Later
     * applies still publish their routes but bind nothing. New TCP clients are refused from here on, or, while a new
     * agent listens on the same ports, go to it (see the class comment for what the kernel does with connections
     * queued at this instant); UDP flows end with their listeners.
     */
    public synchronized void stopAccepting() {
        requireControlThread();
        if (sockets.allLent()) {
            log.info("closing this agent's descriptors of {} listener(s) lent to a new agent: what waits in their"
                    + " queues is the new agent's to accept", sockets.keys().size());
        } else if (transport.supportsReusePort()
                && sockets.keys().stream().anyMatch(k -> k.protocol() == Protocol.TCP)) {
            AcceptQueueMigration.report(log, AcceptQueueMigration.read(AcceptQueueMigration.SYSCTL));
        }
        reconciler.stopAccepting();
        sockets.close(Set.copyOf(sockets.keys()));
    }

    /**
     * Closes every listener and every connection still open, counted as
     * {@link io.userspaceproxy.core.metrics.CloseReason#SHUTDOWN}, and stops the event loops, waiting a bounded time.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        stopAccepting();
        closed = true;
        long timeoutMillis = SHUTDOWN_TIMEOUT.toMillis();
        Future<?> udpStopped = udpGroup == group ? null
                : udpGroup.shutdownGracefully(0, timeoutMillis, TimeUnit.MILLISECONDS);
        if (!group.shutdownGracefully(0, timeoutMillis, TimeUnit.MILLISECONDS)
                .awaitUninterruptibly(2 * timeoutMillis)) {
            log.warn("{} event loops did not stop within {}", transport, SHUTDOWN_TIMEOUT.multipliedBy(2));
        }
        if (udpStopped != null && !udpStopped.awaitUninterruptibly(2 * timeoutMillis)) {
            log.warn("{} event loops of UDP did not stop within {}", transport.datagramTransport(),
                    SHUTDOWN_TIMEOUT.multipliedBy(2));
        }
    }

    private void requireControlThread() {
        if (closed) {
            throw new IllegalStateException("ListenerSet is closed");
        }
        requireOffEventLoop();
    }

    private void requireOffEventLoop() {
        for (EventLoopGroup loops : List.of(group, udpGroup)) {
            for (EventExecutor loop : loops) {
                if (loop.inEventLoop()) {
                    throw new IllegalStateException(
                            "ListenerSet must not be driven from an event loop: it waits for sockets");
                }
            }
        }
    }
}
