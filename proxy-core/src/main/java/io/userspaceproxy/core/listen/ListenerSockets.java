package io.userspaceproxy.core.listen;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.unix.UnixChannel;
import io.netty.util.concurrent.EventExecutor;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.relay.tcp.TcpConnectionTable;
import io.userspaceproxy.core.relay.tcp.TcpRelayInitializer;
import io.userspaceproxy.core.relay.udp.UdpFlowTable;
import io.userspaceproxy.core.table.LiveRoute;
import io.userspaceproxy.core.table.RouteSlot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening sockets of every bound key, and how a key is bound: on epoll one SO_REUSEPORT socket per event loop
 * while the {@link ListenerOptions#socketBudget() socket budget} allows, else (and on NIO, or for port 0) one socket.
 * A key for which sockets were {@link #inherit inherited} from an old agent adopts them instead of binding: every one
 * of them, whatever the budget, since each may hold connections in its accept queue. UDP keys are bound on the loops
 * of {@link Transport#datagramTransport()}: on io_uring, a second group of epoll loops.
 * Binding and closing are for the control thread; {@link #keys()} and {@link #sockets} may be read from anywhere.
 */
final class ListenerSockets {

    private static final Logger log = LoggerFactory.getLogger(ListenerSockets.class);

    private final ListenerOptions options;
    private final Transport transport;
    private final EventLoopGroup group;
    /** UDP's: {@link Transport#datagramTransport()} and its loops, the same as TCP's but on io_uring. */
    private final Transport udpTransport;
    private final EventLoopGroup udpGroup;
    private final UdpFlowTable udpFlows;
    private final TcpConnectionTable tcpConnections;
    private final int loops;
    /** Bound keys and their sockets. Changed by the control thread only. */
    private final Map<ListenerKey, List<Channel>> bound = new ConcurrentHashMap<>();
    private final InheritedSockets inherited = new InheritedSockets();
    /** Keys whose sockets were lent to a new agent: closing this process's descriptors of them loses nothing. */
    private final Set<ListenerKey> lent = new HashSet<>();
    /** Sockets held or being bound; the control thread's count against the budget. */
    private int held;
    private boolean reportedBudget;
    private final AcceptErrors acceptErrors;

    ListenerSockets(ListenerOptions options, EventLoopGroup group, EventLoopGroup udpGroup, UdpFlowTable udpFlows,
            TcpConnectionTable tcpConnections, ProxyCounters counters) {
        this.acceptErrors = new AcceptErrors(counters);
        this.options = options;
        this.transport = options.transport();
        this.group = group;
        this.udpTransport = transport.datagramTransport();
        this.udpGroup = udpGroup;
        this.udpFlows = udpFlows;
        this.tcpConnections = tcpConnections;
        int n = 0;
        for (EventExecutor ignored : group) {
            n++;
        }
        this.loops = n;
    }

    Set<ListenerKey> keys() {
        return bound.keySet();
    }

    boolean isBound(ListenerKey key) {
        return bound.containsKey(key);
    }

    /** The sockets of {@code key}, or an empty list. */
    List<Channel> sockets(ListenerKey key) {
        return bound.getOrDefault(key, List.of());
    }

    /**
     * Starts binding the sockets of {@code key}, which read their route from {@code slot}. Settle the result with
     * {@link #bound} or {@link #failed}.
     *
     * @param following how many more keys this apply will bind after this one: each will need a socket, so a key
     *                  gets one per event loop only if that still leaves one for each of them within the budget
     */
    List<ChannelFuture> bind(ListenerKey key, RouteSlot slot, int following) {
        List<Integer> adopted = inherited.take(key);
        if (adopted != null) {
            return adopt(key, slot, adopted);
        }
        TcpRelayInitializer tcp = tcpInitializer(key, slot);
        EventLoopGroup serving = tcp != null ? group : udpGroup;
        boolean perLoop = (tcp != null ? transport : udpTransport).supportsReusePort() && key.address().getPort() != 0
                && loops > 1 && withinBudget(following);
        List<ChannelFuture> sockets = new ArrayList<>(perLoop ? loops : 1);
        if (!perLoop) {
            sockets.add(tcp != null ? bindTcp(key, serving, serving, tcp) : bindUdp(key, slot, serving));
        } else {
            for (EventExecutor executor : serving) {
                EventLoop loop = (EventLoop) executor;
                sockets.add(tcp != null ? bindTcp(key, loop, loop, tcp) : bindUdp(key, slot, loop));
            }
        }
        held += sockets.size();
        return sockets;
    }

    private @Nullable TcpRelayInitializer tcpInitializer(ListenerKey key, RouteSlot slot) {
        LiveRoute bound = Objects.requireNonNull(slot.get(), "a key is bound for the route it serves");
        return key.protocol() != Protocol.TCP ? null : new TcpRelayInitializer(key, bound.counters(), slot,
                options.relay(), transport.backendChannelFactory(), tcpConnections, options.memoryGuard());
    }

    /**
     * Registers inherited sockets as they are, already bound and listening: one socket stays with one event loop and
     * its connections there, as a bound one would; a key with a single socket spreads its connections over the loops.
     * Whatever waits in a socket's accept queue or receive buffer is read as soon as its registration completes.
     */
    private List<ChannelFuture> adopt(ListenerKey key, RouteSlot slot, List<Integer> fds) {
        TcpRelayInitializer tcp = tcpInitializer(key, slot);
        EventLoopGroup serving = tcp != null ? group : udpGroup;
        List<ChannelFuture> sockets = new ArrayList<>(fds.size());
        Iterator<EventExecutor> next = serving.iterator();
        for (int fd : fds) {
            if (!next.hasNext()) {
                next = serving.iterator();
            }
            EventLoopGroup loop = fds.size() == 1 ? serving : (EventLoop) next.next();
            if (tcp != null) {
                sockets.add(serverBootstrap(loop, loop, tcp, () -> transport.adoptServerChannel(fd)).register());
            } else {
                sockets.add(datagramBootstrap(key, slot, loop, () -> udpTransport.adoptDatagramChannel(fd))
                        .register());
            }
        }
        held += sockets.size();
        return sockets;
    }

    /** The event loops every socket is on; for the health checks, which connect from them too. */
    EventLoopGroup group() {
        return group;
    }

    Transport transport() {
        return transport;
    }

    /** Keeps sockets received from an old agent for the binds to come: {@link #bind} of their key adopts them. */
    void inherit(Collection<ListenerDescriptor> descriptors) {
        inherited.add(descriptors, transport);
    }

    /** Closes the inherited sockets no bind took; returns their keys. */
    List<ListenerKey> closeInherited() {
        return inherited.closeRest();
    }

    /** The descriptor of every socket of every bound key; none on NIO, whose channels do not expose them. */
    List<ListenerDescriptor> descriptors() {
        List<ListenerDescriptor> all = new ArrayList<>();
        bound.forEach((key, sockets) -> {
            for (Channel socket : sockets) {
                if (socket instanceof UnixChannel unix && socket.isOpen()) {
                    all.add(new ListenerDescriptor(key, unix.fd().intValue()));
                }
            }
        });
        return all;
    }

    /** Notes that {@code descriptors} were handed to a new agent (see {@link #allLent()}). */
    void markLent(List<ListenerDescriptor> descriptors) {
        descriptors.forEach(d -> lent.add(d.key()));
    }

    /** True when every bound key's sockets were lent to a new agent, so closing them here resets nothing. */
    boolean allLent() {
        return !bound.isEmpty() && lent.containsAll(bound.keySet());
    }

    private boolean withinBudget(int following) {
        if ((long) held + loops + following <= options.socketBudget()) {
            return true;
        }
        if (!reportedBudget) {
            reportedBudget = true;
            log.info("{} listening sockets held and {} more listeners to bind, budget {}: listeners get one socket"
                    + " instead of one per event loop, leaving room for connections under the open-files limit", held,
                    following + 1, options.socketBudget());
        }
        return false;
    }

    /**
     * A TCP key's connections stay on the loop that accepted them ({@code group(loop, loop)}): no hand-over to another
     * loop's queue and no wake-up of it. With one socket for the key, its connections are spread over the loops.
     */
    private ChannelFuture bindTcp(ListenerKey key, EventLoopGroup acceptor, EventLoopGroup children,
            TcpRelayInitializer initializer) {
        return serverBootstrap(acceptor, children, initializer, transport.serverChannelFactory()).bind(key.address());
    }

    private ServerBootstrap serverBootstrap(EventLoopGroup acceptor, EventLoopGroup children,
            TcpRelayInitializer initializer, ChannelFactory<? extends ServerChannel> channels) {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(acceptor, children)
                .channelFactory(channels)
                .handler(acceptErrors)
                .childHandler(initializer);
        transport.applyListenerOptions(bootstrap);
        return bootstrap;
    }

    /**
     * The kernel hashes every datagram's 4-tuple to one socket of a SO_REUSEPORT group, so a client (ip:port) always
     * reaches the same socket, hence the same flow on the same loop, and many clients' flows spread over every core.
     */
    private ChannelFuture bindUdp(ListenerKey key, RouteSlot slot, EventLoopGroup loop) {
        return datagramBootstrap(key, slot, loop, udpTransport.datagramChannelFactory()).bind(key.address());
    }

    private Bootstrap datagramBootstrap(ListenerKey key, RouteSlot slot, EventLoopGroup loop,
            ChannelFactory<? extends Channel> channels) {
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channelFactory(channels)
                .handler(udpFlows.listenerHandler(key, slot));
        udpTransport.applyListenerOptions(bootstrap);
        return bootstrap;
    }

    /** Records the sockets of a key whose binds all succeeded. */
    void bound(ListenerKey key, List<ChannelFuture> binds) {
        List<Channel> sockets = new ArrayList<>(binds.size());
        for (ChannelFuture f : binds) {
            sockets.add(f.channel());
        }
        bound.put(key, List.copyOf(sockets));
    }

    /**
     * Closes the sockets of a key whose bind failed: a failed bind leaves the channel open and registered, and a late
     * one would hold the port unseen. A key is listened on by all of its sockets or none.
     */
    void failed(List<ChannelFuture> binds) {
        for (ChannelFuture f : binds) {
            Channel channel = f.channel();
            if (channel.isRegistered()) {
                channel.close();
            } else {
                // Never registered (the socket could not even be created, e.g. EMFILE): close() would throw, and
                // there is no event loop to close it on.
                channel.unsafe().closeForcibly();
            }
        }
        held -= binds.size();
    }

    /**
     * Closes the sockets of {@code keys} that are bound and waits for them (bounded by the bind timeout), so that a
     * listener bound next on an overlapping address (0.0.0.0 and one IP) finds the port free.
     *
     * @return the keys that were bound and are closed now
     */
    List<ListenerKey> close(Collection<ListenerKey> keys) {
        List<ListenerKey> closed = new ArrayList<>();
        List<ChannelFuture> closing = new ArrayList<>();
        for (ListenerKey key : keys) {
            List<Channel> sockets = bound.remove(key);
            if (sockets == null) {
                continue;
            }
            closed.add(key);
            held -= sockets.size();
            for (Channel socket : sockets) {
                closing.add(socket.close());
            }
        }
        Duration timeout = options.bindTimeout();
        long deadline = System.nanoTime() + timeout.toNanos();
        for (ChannelFuture f : closing) {
            if (!f.awaitUninterruptibly(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                log.warn("listener {} did not close within {}", f.channel(), timeout);
            }
        }
        return closed;
    }
}
