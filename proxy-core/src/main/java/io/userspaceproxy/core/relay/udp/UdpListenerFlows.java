package io.userspaceproxy.core.relay.udp;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.uber.nullaway.annotations.Initializer;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ReflectiveChannelFactory;
import io.userspaceproxy.core.metrics.CloseReason;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Cidr;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.table.LiveRoute;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The flows of one UDP listener socket, keyed by client address (ip:port), and how a new one is opened.
 *
 * <p><b>Why Caffeine holds flows, and why it does not expire them.</b> The per-datagram cost that matters is finding
 * the flow of a sender, and activity must count in both directions. Here the index is an unbounded Caffeine cache:
 * a lookup is one concurrent-hash read with no access recording, and a removal listener is the single exit of every
 * flow (idle, stale endpoint, route gone, backend failure, listener closed), so the flow budget and counters are
 * released exactly once whatever ended it. Caffeine's own access expiry would cost a read-buffer write per datagram
 * from the frontend plus a second lookup from the backend side for replies, and it would expire flows during
 * maintenance on another thread. Instead each flow stamps a last-activity time (a plain field write on its event
 * loop, either direction) and checks it with one timer on that same loop, re-armed at most once per idle timeout
 * while the flow is busy. Caffeine's {@code maximumSize} is not used as the bound either: it evicts live flows,
 * whereas a full table must refuse new clients and leave old flows alone, so {@link UdpFlowTable} keeps an exact
 * budget.
 *
 * <p>Threading: everything except {@link #onRouteChanged} and {@link #size} runs on the listener's event loop, and
 * every flow's backend channel is registered on that loop too, so flow state needs no synchronization.
 */
final class UdpListenerFlows {

    private static final Logger LOG = LoggerFactory.getLogger(UdpListenerFlows.class);
    private static final Object NEVER_SWEPT = new Object();

    private final UdpFlowTable owner;
    private final ListenerKey key;
    private final Supplier<LiveRoute> route;
    private final Cache<InetSocketAddress, UdpFlow> flows;
    private final UdpHeldFlows held = new UdpHeldFlows(this);
    private Channel listener;
    private ChannelFactory<? extends Channel> backendFactory;
    /** Flushes the listener once per event-loop turn, whatever number of flows wrote replies in it. */
    private final Runnable flushListener = this::flushListener;
    private boolean listenerFlushPending;
    /** The route of the last sweep (a route, null, or NEVER_SWEPT); written by the sync thread only. */
    private volatile Object sweptRoute = NEVER_SWEPT;

    UdpListenerFlows(UdpFlowTable owner, ListenerKey key, Supplier<LiveRoute> route) {
        this.owner = owner;
        this.key = key;
        this.route = route;
        this.flows = Caffeine.newBuilder()
                .executor(Runnable::run)
                .removalListener((@Nullable InetSocketAddress client, @Nullable UdpFlow flow, RemovalCause cause) -> {
                    if (flow != null) { // strong values: never collected, so always present
                        flow.onRemoved();
                    }
                })
                .build();
    }

    /**
     * Binds these flows to their listener channel, once it is registered; they all close when it closes. Runs from
     * the frontend handler's {@code handlerAdded}, before the channel can read anything.
     */
    @Initializer
    void attach(Channel listenerChannel) {
        this.listener = listenerChannel;
        this.backendFactory = new ReflectiveChannelFactory<>(listenerChannel.getClass());
        owner.sockets().configureListener(listenerChannel);
        owner.register(this);
        listenerChannel.closeFuture().addListener((ChannelFutureListener) f -> {
            owner.unregister(this);
            held.clear();
            flows.invalidateAll();
        });
    }

    @Nullable UdpFlow get(InetSocketAddress client) {
        return flows.getIfPresent(client);
    }

    /** The clients held while the service port has no endpoint ({@code hold-when-empty}). */
    UdpHeldFlows held() {
        return held;
    }

    @Nullable UdpFlow open(InetSocketAddress client) {
        return open(client, null);
    }

    /**
     * Opens the flow of a client seen for the first time, or returns {@code null} when its datagram must be dropped
     * (no route, source range, direct memory near its limit, flow budget exhausted, no endpoint, no socket), having
     * counted why. With no endpoint, a route that holds keeps {@code first} (the client's first datagram, null for
     * none) and the client's flow slot in {@link #held()} instead.
     */
    @Nullable UdpFlow open(InetSocketAddress client, @Nullable ByteBuf first) {
        LiveRoute route = this.route.get();
        if (route == null) {
            LOG.debug("{}: no route any more, dropping a datagram from {}", key, client);
            return null;
        }
        ServicePortCounters counters = route.counters();
        if (!admits(client, route, counters)) {
            return null;
        }
        Endpoint endpoint = route.balancer().pick(client.getAddress());
        if (endpoint == null) {
            if (first != null && held.hold(client, first, route)) {
                return null;
            }
            owner.releaseFlow();
            counters.onUdpDatagramDropped();
            return null;
        }
        Channel backend;
        try {
            backend = backendFactory.newChannel();
        } catch (RuntimeException e) {
            owner.releaseFlow();
            counters.onUdpDatagramDropped();
            LOG.debug("{}: cannot open a backend socket for {}", key, client, e);
            return null;
        }
        return connect(new UdpFlow(this, client, endpoint, route, backend));
    }

    /** Whether a new flow from {@code client} may open, with a slot taken from the flow budget; counts a refusal. */
    private boolean admits(InetSocketAddress client, LiveRoute route, ServicePortCounters counters) {
        if (!Cidr.admits(route.route().sourceRanges(), client.getAddress())) {
            counters.onRejected(CloseReason.SOURCE_RANGE_REJECTED);
            counters.onUdpDatagramDropped();
            return false;
        }
        if (!owner.memoryGuard().admits()) {
            counters.onRejected(CloseReason.MEMORY_REJECTED);
            counters.onUdpFlowRejected();
            return false;
        }
        if (!owner.tryAcquireFlow()) {
            counters.onUdpFlowRejected();
            return false;
        }
        return true;
    }

    /** Registers the flow, then registers and connects its backend; from here on every exit goes through removal. */
    private UdpFlow connect(UdpFlow flow) {
        Channel backend = flow.backend;
        backend.pipeline().addLast(new UdpBackendHandler(flow, owner.ticker()));
        owner.sockets().configureFlow(backend);
        flows.put(flow.client, flow);
        flow.counters.onUdpFlowOpened();
        flow.start();
        // On this event loop both complete before returning: registration runs inline, and a UDP connect only
        // sets the socket's default peer. A failure closes the backend, which removes the flow.
        listener.eventLoop().register(backend).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        backend.connect(flow.endpoint.address()).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        return flow;
    }

    /**
     * Asks for the listener to be flushed after the event loop has handled the I/O of this turn: replies that many
     * flows read in one turn leave in one {@code sendmmsg} rather than one {@code sendmsg} each. On the loop itself,
     * {@code execute} only queues the task; it runs before the loop waits again.
     */
    void flushListenerSoon() {
        if (!listenerFlushPending) {
            listenerFlushPending = true;
            listener.eventLoop().execute(flushListener);
        }
    }

    private void flushListener() {
        listenerFlushPending = false;
        listener.flush();
    }

    /** Ends {@code flow} if it is still the live flow of its client; the removal listener releases it. */
    void remove(UdpFlow flow) {
        flows.asMap().remove(flow.client, flow);
    }

    /** Called from the sync thread: sweeps on the event loop if this listener's route object changed. */
    void onRouteChanged() {
        LiveRoute route = this.route.get();
        if (route == sweptRoute) {
            return;
        }
        sweptRoute = route;
        try {
            listener.eventLoop().execute(() -> sweep(route));
        } catch (RejectedExecutionException e) {
            LOG.debug("{}: event loop shutting down, flows close with it", key);
        }
    }

    private void sweep(LiveRoute route) {
        held.onRouteChanged(route);
        if (route == null) {
            flows.invalidateAll();
            return;
        }
        Route r = route.route();
        Set<Endpoint> live = Set.copyOf(r.endpoints());
        long idleTimeoutNanos = r.udpIdleTimeout().toNanos();
        for (UdpFlow flow : flows.asMap().values()) {
            if (flow.servicePort.equals(r.servicePort()) && live.contains(flow.endpoint)) {
                flow.idleTimeoutNanos = idleTimeoutNanos;
            } else {
                remove(flow);
            }
        }
    }

    /** The route currently served on this listener, or {@code null}. Not for the per-datagram path. */
    LiveRoute currentRoute() {
        return route.get();
    }

    Channel listenerChannel() {
        return listener;
    }

    UdpFlowTable owner() {
        return owner;
    }

    ListenerKey key() {
        return key;
    }

    int size() {
        return flows.asMap().size();
    }

    /** The live flows, as a weakly consistent view that any thread may iterate. */
    Collection<UdpFlow> live() {
        return flows.asMap().values();
    }
}
