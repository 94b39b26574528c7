package io.userspaceproxy.core.listen;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.userspaceproxy.core.balance.AffinityTable;
import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.ProxySnapshot;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteChanges;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.relay.ConnectionInfo;
import io.userspaceproxy.core.relay.tcp.TcpConnectionTable;
import io.userspaceproxy.core.relay.tcp.TcpRelayInitializer;
import io.userspaceproxy.core.relay.udp.UdpFlowTable;
import io.userspaceproxy.core.table.ProxyTable;
import io.userspaceproxy.core.table.ServiceRoute;
import io.userspaceproxy.core.table.TableDiff;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data plane's sockets: the listeners of every {@link ListenerKey} of the current {@link ProxyTable}, all on one
 * event loop group that also carries every accepted connection and its backend. On epoll every key has one
 * SO_REUSEPORT socket per event loop, each keeping the connections it accepts, or the UDP flows it opens, on its own
 * loop; on NIO a key has one.
 *
 * <p>{@link #apply} moves the data plane to a new snapshot. It builds the next table off the event loops, publishes
 * it with one volatile write, and only then touches sockets: it closes the listeners whose key left the table (their
 * open connections continue until they end on their own) and binds listeners for keys that have none. A key whose
 * route changed (endpoints, affinity, source ranges) keeps its listener; the next accepted connection simply reads
 * the new route. A bind that fails affects no other listener: it is logged, counted, reported in the
 * {@link ApplyResult} and tried again by the next apply.
 *
 * <p>A closed listener refuses new connections at once on epoll. On NIO the JDK defers closing a listening socket
 * that is registered with a selector to that selector's next select, a moment after the close completed; a client
 * that connects in that moment is reset, and a bind on an overlapping address (a wildcard and a specific IP on one
 * port) may fail once and succeed on the next apply.

 * <p><b>Graceful drain.</b> On SIGTERM: {@link #stopAccepting()} (new clients are refused, or go to a new agent
 * sharing the ports, see below), {@link #awaitDrained} (open connections finish on their own, up to a deadline),
 * then {@link #close()}, which ends what is left, counted as {@link io.userspaceproxy.core.metrics.CloseReason#SHUTDOWN}.
 *
 * <p><b>Upgrade hand-off.</b> On epoll every TCP listener sets SO_REUSEPORT, so a new agent can bind the same keys
 * while this one still serves; the kernel spreads new connections over both until this one stops accepting, and
 * from then on sends every new connection to the new agent, while connections already accepted here continue.
 * Connections queued in this agent's accept queues at the instant its listeners close are reset by the kernel,
 * unless {@code net.ipv4.tcp_migrate_req} is 1 (Linux 5.14 and later); {@link #stopAccepting()} logs which applies.
 * UDP listeners share their ports the same way (see {@code bindUdp} for what that means for a client's flow).
 *
 * <p>Threading: {@link #apply}, {@link #stopAccepting} and {@link #close} are meant for one control-plane thread
 * (they are serialized, and refuse to run on an event loop because they wait for sockets). {@link #awaitDrained}
 * blocks any thread but an event loop, without holding the lock the others take. {@link #table()},
 * {@link #boundKeys()}, {@link #connections} and {@link #connectionCount()} may be read from any thread at any time.
 */
public final class ListenerSet implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ListenerSet.class);
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(5);

    private final ListenerOptions options;
    private final Transport transport;
    private final BalancerFactory balancerFactory;
    private final ProxyCounters counters;
    private final EventLoopGroup group;
    private final AffinityTable affinities;
    private final UdpFlowTable udpFlows;
    private final TcpConnectionTable tcpConnections = TcpConnectionTable.create();
    /** The last bind error logged per key, so that a listener failing the same way at every retry warns once. */
    private final Map<ListenerKey, String> reportedBindFailures = new HashMap<>();
    private final Supplier<ProxyTable> currentTable = this::table;
    /**
     * Bound listeners: one socket per key, or on epoll one per event loop for a TCP key (see {@code bindTcp}).
     * Changed only under this object's monitor; {@link #boundKeys()} reads it from anywhere.
     */
    private final Map<ListenerKey, List<Channel>> listeners = new ConcurrentHashMap<>();

    private volatile ProxyTable table = ProxyTable.EMPTY;
    private boolean accepting = true;
    private boolean closed;

    /**
     * Starts the event loops, balancing each route as its session affinity says (round-robin, or ClientIP affinity
     * through one process-wide {@link AffinityTable}); binds nothing until the first {@link #apply}.
     *
     * @param counters where every service port's and listener's counters live
     */
    public ListenerSet(ListenerOptions options, ProxyCounters counters) {
        this(options, AffinityTable.create(), counters);
    }

    private ListenerSet(ListenerOptions options, AffinityTable affinities, ProxyCounters counters) {
        this(options, BalancerFactory.of(affinities, counters), affinities, counters);
    }

    /**
     * Starts the event loops with a given balancer factory (tests, benchmarks); binds nothing until the first
     * {@link #apply}.
     *
     * @param balancerFactory makes the balancer of each new route (round-robin, ClientIP affinity, ...)
     * @param counters        where every service port's and listener's counters live
     */
    public ListenerSet(ListenerOptions options, BalancerFactory balancerFactory, ProxyCounters counters) {
        this(options, balancerFactory, AffinityTable.create(), counters);
    }

    private ListenerSet(ListenerOptions options, BalancerFactory balancerFactory, AffinityTable affinities,
            ProxyCounters counters) {
        this.options = Objects.requireNonNull(options, "options");
        this.transport = options.transport().requireAvailable();
        this.balancerFactory = Objects.requireNonNull(balancerFactory, "balancerFactory");
        this.counters = Objects.requireNonNull(counters, "counters");
        this.affinities = affinities;
        this.udpFlows = UdpFlowTable.create(options.udp());
        this.group = transport.newEventLoopGroup(options.ioThreads());
    }

    /** The live UDP flows, for metrics and tests. */
    public UdpFlowTable udpFlows() {
        return udpFlows;
    }

    /** The ClientIP affinity memory shared by every service port. */
    public AffinityTable affinities() {
        return affinities;
    }

    /** The table the event loops route with now. */
    public ProxyTable table() {
        return table;
    }

    /** The keys that have a bound listener now. */
    public Set<ListenerKey> boundKeys() {
        return Set.copyOf(listeners.keySet());
    }

    public Transport transport() {
        return transport;
    }

    /**
     * The first listening channel of {@code key}, or {@code null}; lets tests tell a kept listener from a rebound
     * one. {@link #listeners(ListenerKey)} has them all.
     */
    Channel listener(ListenerKey key) {
        List<Channel> sockets = listeners.get(key);
        return sockets == null ? null : sockets.get(0);
    }

    /** Every listening channel of {@code key} (one per event loop for TCP on epoll), or an empty list. */
    List<Channel> listeners(ListenerKey key) {
        return listeners.getOrDefault(key, List.of());
    }

    /** Every proxied TCP connection open now; for tests that look at the connections themselves. */
    TcpConnectionTable tcpConnections() {
        return tcpConnections;
    }

    /**
     * Samples the {@code limit} oldest proxied TCP connections and UDP flows, oldest first, for an operator's view;
     * {@link #connectionCount()} says how many there are in all. Costs O(n log limit) on the calling thread and
     * never waits for an event loop; the byte counts are read racily (see {@link TcpConnectionTable}). A TCP
     * connection is listed from its first connect attempt (its {@link ConnectionInfo#connected()} is false until an
     * endpoint accepts) until it closes; a UDP flow from its first datagram until it expires.
     *
     * @throws IllegalArgumentException when {@code limit} is negative
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
     * Waits until every proxied TCP connection has ended, or {@code timeout} passes: the middle step of a graceful
     * drain, after {@link #stopAccepting()} (before it, new connections keep arriving and this waits for a quiet
     * moment). Wakes when the last connection closes, without polling. UDP flows are not waited for: they end when
     * their listener closes, as there is no end-of-flow to wait for.
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
     * is closed, and keys whose earlier bind failed are tried again. Keys not named keep their listener and route.
     *
     * @throws IllegalStateException when called on an event loop or after {@link #close()}
     */
    public synchronized ApplyResult apply(RouteChanges changes) {
        Objects.requireNonNull(changes, "changes");
        Map<ListenerKey, Route> next = new HashMap<>();
        table.routes().forEach((key, route) -> next.put(key, route.route()));
        next.keySet().removeAll(changes.removed());
        next.putAll(changes.upserted());
        return apply(new ProxySnapshot(next));
    }

    /**
     * Makes {@code snapshot} the data plane's state: publishes its table, closes listeners whose key is gone, binds
     * listeners for keys that have none, and waits (at most {@link ListenerOptions#bindTimeout()}) for the binds.
     *
     * @throws IllegalStateException when called on an event loop or after {@link #close()}
     */
    public synchronized ApplyResult apply(ProxySnapshot snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        requireControlThread();
        ProxyTable previous = table;
        ProxyTable next = ProxyTable.build(snapshot, previous, balancerFactory, counters);
        // Publish before touching sockets: a listener bound below serves the new route from its first connection,
        // and one about to close already resets new clients instead of sending them to endpoints that are gone.
        table = next;
        // Flows to endpoints that left, and affinity to endpoints or services that left, end now (the next datagram
        // or connection is balanced afresh), as kube-proxy's conntrack cleanup does for UDP.
        udpFlows.onTableChanged(next);
        affinities.retain(snapshot.routes().values());
        TableDiff diff = next.diffFrom(previous);
        Set<ListenerKey> closedKeys = closeListeners(key -> next.lookup(key) == null, previous);
        Set<ListenerKey> skipped = new HashSet<>();
        Map<ListenerKey, List<ChannelFuture>> binding = startBinds(next, skipped);
        Set<ListenerKey> bound = new HashSet<>();
        Map<ListenerKey, Throwable> failures = new HashMap<>();
        awaitBinds(binding, next, bound, failures);
        counters.retain(servicePortsOf(next));
        return new ApplyResult(diff, bound, failures, closedKeys, skipped);
    }

    /**
     * Closes every listener but leaves accepted connections to finish (the first step of a graceful drain). Later
     * applies still publish their tables but bind nothing. New TCP clients are refused from here on, or, while a new
     * agent listens on the same ports, go to it (see the class comment for what the kernel does with connections
     * queued at this instant); UDP flows end with their listeners.
     */
    public synchronized void stopAccepting() {
        requireControlThread();
        accepting = false;
        if (transport.supportsReusePort() && listeners.keySet().stream().anyMatch(k -> k.protocol() == Protocol.TCP)) {
            AcceptQueueMigration.report(log, AcceptQueueMigration.read(AcceptQueueMigration.SYSCTL));
        }
        closeListeners(key -> true, table);
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
        if (!group.shutdownGracefully(0, timeoutMillis, TimeUnit.MILLISECONDS)
                .awaitUninterruptibly(2 * timeoutMillis)) {
            log.warn("{} event loops did not stop within {}", transport, SHUTDOWN_TIMEOUT.multipliedBy(2));
        }
    }

    private void requireControlThread() {
        if (closed) {
            throw new IllegalStateException("ListenerSet is closed");
        }
        requireOffEventLoop();
    }

    private void requireOffEventLoop() {
        for (EventExecutor loop : group) {
            if (loop.inEventLoop()) {
                throw new IllegalStateException("ListenerSet must not be driven from an event loop: it waits for sockets");
            }
        }
    }

    private Set<ListenerKey> closeListeners(Predicate<ListenerKey> which, ProxyTable describedBy) {
        Set<ListenerKey> closedKeys = new HashSet<>();
        List<ChannelFuture> closing = new ArrayList<>();
        for (Iterator<Map.Entry<ListenerKey, List<Channel>>> it = listeners.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<ListenerKey, List<Channel>> e = it.next();
            if (which.test(e.getKey())) {
                it.remove();
                closedKeys.add(e.getKey());
                for (Channel socket : e.getValue()) {
                    closing.add(socket.close());
                }
                log.info("stopped listening on {} for {}", e.getKey(), servicePortOf(describedBy, e.getKey()));
            }
        }
        // Wait, so that a listener bound next on an overlapping address (0.0.0.0 vs one IP) finds the port free.
        long deadline = System.nanoTime() + options.bindTimeout().toNanos();
        for (ChannelFuture f : closing) {
            if (!f.awaitUninterruptibly(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                log.warn("listener {} did not close within {}", f.channel(), options.bindTimeout());
            }
        }
        return closedKeys;
    }

    private Map<ListenerKey, List<ChannelFuture>> startBinds(ProxyTable next, Set<ListenerKey> skipped) {
        Map<ListenerKey, List<ChannelFuture>> binding = new LinkedHashMap<>();
        for (Map.Entry<ListenerKey, ServiceRoute> e : next.routes().entrySet()) {
            ListenerKey key = e.getKey();
            if (listeners.containsKey(key)) {
                continue;
            }
            if (accepting) {
                binding.put(key, bind(key, e.getValue()));
            } else {
                skipped.add(key);
            }
        }
        return binding;
    }

    /** Starts binding the listening sockets of {@code key}. */
    private List<ChannelFuture> bind(ListenerKey key, ServiceRoute route) {
        return switch (key.protocol()) {
            case TCP -> bindTcp(key, route);
            case UDP -> bindUdp(key);
        };
    }

    /**
     * On epoll, one SO_REUSEPORT datagram socket per event loop for each UDP key, each with its own flows on its own
     * loop: the kernel hashes every datagram's 4-tuple to one socket of the group, so a client (ip:port) always
     * reaches the same socket, hence the same flow, and the flows of many clients spread over every core. On NIO,
     * or for port 0, one socket.
     *
     * <p>During an upgrade the new agent's sockets join the group, the hash is spread over both agents, and some
     * clients' next datagrams reach the new agent, which opens a flow of its own for them (to the endpoint its
     * balancer picks). That is what happens to every client when the old agent stops anyway; without the shared
     * port the new agent could not bind until then, and every datagram sent in between would be lost.
     */
    private List<ChannelFuture> bindUdp(ListenerKey key) {
        if (!transport.supportsReusePort() || key.address().getPort() == 0) {
            return List.of(bindUdp(key, group));
        }
        List<ChannelFuture> sockets = new ArrayList<>();
        for (EventExecutor executor : group) {
            sockets.add(bindUdp(key, (EventLoop) executor));
        }
        return sockets;
    }

    private ChannelFuture bindUdp(ListenerKey key, EventLoopGroup loop) {
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channelFactory(transport.datagramChannelFactory())
                .handler(udpFlows.listenerHandler(key, currentTable));
        transport.applyListenerOptions(bootstrap);
        return bootstrap.bind(key.address());
    }

    /**
     * On epoll, one SO_REUSEPORT socket per event loop, each accepting on its own loop and keeping its connections
     * there ({@code group(loop, loop)}): the kernel spreads new connections over the sockets, and an accepted
     * connection is registered on the loop that is already running, with no hand-over to another loop's queue and no
     * wake-up of it (an eventfd write and an epoll_wait per connection). On NIO, or for port 0 (each socket would get
     * a port of its own), one socket whose connections are spread over the loops.
     */
    private List<ChannelFuture> bindTcp(ListenerKey key, ServiceRoute route) {
        TcpRelayInitializer initializer = new TcpRelayInitializer(key, route.counters(), currentTable, options.relay(),
                transport.backendChannelFactory(), tcpConnections);
        if (!transport.supportsReusePort() || key.address().getPort() == 0) {
            return List.of(bindTcp(key, group, group, initializer));
        }
        List<ChannelFuture> sockets = new ArrayList<>();
        for (EventExecutor executor : group) {
            EventLoop loop = (EventLoop) executor;
            sockets.add(bindTcp(key, loop, loop, initializer));
        }
        return sockets;
    }

    private ChannelFuture bindTcp(ListenerKey key, EventLoopGroup acceptor, EventLoopGroup children,
            TcpRelayInitializer initializer) {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(acceptor, children)
                .channelFactory(transport.serverChannelFactory())
                .childHandler(initializer);
        transport.applyListenerOptions(bootstrap);
        return bootstrap.bind(key.address());
    }

    private void awaitBinds(Map<ListenerKey, List<ChannelFuture>> binding, ProxyTable next, Set<ListenerKey> bound,
            Map<ListenerKey, Throwable> failures) {
        long deadline = System.nanoTime() + options.bindTimeout().toNanos();
        for (Map.Entry<ListenerKey, List<ChannelFuture>> e : binding.entrySet()) {
            ListenerKey key = e.getKey();
            ServicePortName servicePort = servicePortOf(next, key);
            Throwable cause = awaitAll(e.getValue(), deadline);
            if (cause == null) {
                List<Channel> sockets = new ArrayList<>(e.getValue().size());
                for (ChannelFuture f : e.getValue()) {
                    sockets.add(f.channel());
                }
                listeners.put(key, List.copyOf(sockets));
                bound.add(key);
                reportedBindFailures.remove(key);
                log.info("listening on {} for {}", key, servicePort);
                continue;
            }
            // A failed bind leaves the channel open and registered; a late one would hold the port unseen. The
            // sockets of the key that did bind are closed too: a key is listened on by all of its sockets or none.
            for (ChannelFuture f : e.getValue()) {
                f.channel().close();
            }
            counters.onBindFailure();
            failures.put(key, cause);
            String reason = cause.getMessage() != null ? cause.getMessage() : cause.toString();
            if (!reason.equals(reportedBindFailures.put(key, reason))) {
                log.warn("cannot listen on {} for {}: {} (retrying at every sync)", key, servicePort, reason);
            } else {
                log.debug("still cannot listen on {} for {}: {}", key, servicePort, reason);
            }
        }
        reportedBindFailures.keySet().removeIf(key -> next.lookup(key) == null);
    }

    /** Waits for every bind of one key; the first failure, a timeout, or {@code null} when all succeeded. */
    private Throwable awaitAll(List<ChannelFuture> binds, long deadline) {
        for (ChannelFuture f : binds) {
            boolean done = f.awaitUninterruptibly(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (!done) {
                return new TimeoutException("bind did not complete within " + options.bindTimeout());
            }
            if (!f.isSuccess()) {
                return f.cause();
            }
        }
        return null;
    }

    private static ServicePortName servicePortOf(ProxyTable table, ListenerKey key) {
        ServiceRoute route = table.lookup(key);
        return route == null ? null : route.route().servicePort();
    }

    private static Set<ServicePortName> servicePortsOf(ProxyTable table) {
        Set<ServicePortName> live = new HashSet<>();
        for (ServiceRoute route : table.routes().values()) {
            live.add(route.route().servicePort());
        }
        return live;
    }
}
