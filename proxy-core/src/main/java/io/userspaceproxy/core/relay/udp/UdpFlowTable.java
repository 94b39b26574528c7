package io.userspaceproxy.core.relay.udp;

import com.github.benmanes.caffeine.cache.Ticker;
import io.netty.channel.ChannelHandler;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.relay.ConnectionInfo;
import io.userspaceproxy.core.relay.DirectMemoryGuard;
import io.userspaceproxy.core.relay.OldestFirst;
import io.userspaceproxy.core.table.LiveRoute;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Every UDP flow of the proxy: the entry point of the UDP relay. Make one per listener set; it hands out the
 * handler of each UDP listener socket, bounds the number of live flows across all of them, and closes flows that a
 * changed route makes stale.
 *
 * <p>How a listener is served: bind a datagram channel of the transport in use with
 * {@code new Bootstrap().group(loop).channel(datagramChannelClass).handler(flows.listenerHandler(key, slot))
 * .bind(key.address())}. The handler tunes the socket when the channel registers (before the bind), then keeps a
 * flow per client address (ip:port): a backend datagram channel on the listener's event loop, connected to the
 * endpoint the route's balancer picked. Client datagrams are written to it as they are; endpoint replies go back
 * out of the listener socket, so their source is the service address and the client never sees the endpoint's.
 *
 * <p>A flow ends when it has carried nothing in either direction for its route's {@code udpIdleTimeout}, when its
 * endpoint or route leaves its listener ({@link #onRoutesChanged}), when its backend socket fails (an ICMP port
 * unreachable also re-balances the client, see {@code LoadBalancer.pickAfterFailure}), or when its listener
 * closes. Thread-safe; {@link #onRoutesChanged} is meant for the control plane's sync thread.
 */
public final class UdpFlowTable {

    private final UdpRelayOptions options;
    private final UdpSockets sockets;
    private final DirectMemoryGuard memoryGuard;
    private final Ticker ticker;
    private final AtomicInteger liveFlows = new AtomicInteger();
    private final LongAdder segmentedDatagrams = new LongAdder();
    private final LongAdder refusedRuns = new LongAdder();
    /** The flows of every bound listener socket, by key (several sockets per key on epoll). */
    private final Map<ListenerKey, Set<UdpListenerFlows>> listeners = new ConcurrentHashMap<>();
    private volatile Consumer<ServicePortName> holdObserver = servicePort -> { };

    private UdpFlowTable(UdpRelayOptions options, DirectMemoryGuard memoryGuard, Ticker ticker) {
        this.options = options;
        this.memoryGuard = memoryGuard;
        this.ticker = ticker;
        this.sockets = new UdpSockets(options);
    }

    public static UdpFlowTable create(UdpRelayOptions options) {
        return create(options, DirectMemoryGuard.jvm());
    }

    /** A table whose new flows are refused (counted) while {@code memoryGuard} says direct memory is near its limit. */
    public static UdpFlowTable create(UdpRelayOptions options, DirectMemoryGuard memoryGuard) {
        return create(options, memoryGuard, Ticker.systemTicker());
    }

    /**
     * As {@link #create(UdpRelayOptions, DirectMemoryGuard)}, with the clock its flows read for activity and idle
     * time: tests move it instead of waiting. A flow's idle check still runs on its event loop's timer, which
     * re-arms for whatever the ticker says is left.
     */
    public static UdpFlowTable create(UdpRelayOptions options, DirectMemoryGuard memoryGuard, Ticker ticker) {
        return new UdpFlowTable(Objects.requireNonNull(options, "options"),
                Objects.requireNonNull(memoryGuard, "memoryGuard"), Objects.requireNonNull(ticker, "ticker"));
    }

    /** The clock of every flow's activity stamps and idle checks. */
    Ticker ticker() {
        return ticker;
    }

    /** Asked once per new flow, never per datagram. */
    DirectMemoryGuard memoryGuard() {
        return memoryGuard;
    }

    /**
     * The handler of one UDP listener socket bound for {@code key}; a new one per bind (it is not sharable).
     *
     * @param route the listener's route slot, read once per new flow and at each sweep
     * @throws IllegalArgumentException when {@code key} is not a UDP listener
     */
    public ChannelHandler listenerHandler(ListenerKey key, Supplier<LiveRoute> route) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(route, "route");
        if (key.protocol() != Protocol.UDP) {
            throw new IllegalArgumentException("key: " + key + " (expected: a UDP listener)");
        }
        return new UdpFrontendHandler(new UdpListenerFlows(this, key, route));
    }

    /**
     * Closes the flows that the routes now in the slots of {@code keys} (just published) make stale: every flow of a
     * listener whose route is gone, and every flow whose endpoint is no longer among its route's endpoints; the
     * client's next datagram opens a new flow to a live endpoint. A changed {@code udpIdleTimeout} applies to live
     * flows from their next idle check. Costs what {@code keys} names: other listeners are not looked at; a listener
     * whose route object did not change since its last sweep costs nothing; the others are swept on their own event
     * loop, shortly after this returns.
     */
    public void onRoutesChanged(Collection<ListenerKey> keys) {
        for (ListenerKey key : keys) {
            for (UdpListenerFlows flows : listeners.getOrDefault(key, Set.of())) {
                flows.onRouteChanged();
            }
        }
    }

    /** Live flows across all listeners. */
    public int activeFlows() {
        return liveFlows.get();
    }

    /** Live flows of the listeners bound for {@code key}. */
    public int activeFlows(ListenerKey key) {
        int n = 0;
        for (UdpListenerFlows flows : listeners.getOrDefault(key, Set.of())) {
            n += flows.size();
        }
        return n;
    }

    /**
     * Live flows of each listener socket bound for {@code key}, one entry per socket (several on epoll, one per event
     * loop): how the kernel spread the clients over the loops.
     */
    public List<Integer> activeFlowsPerSocket(ListenerKey key) {
        List<Integer> sizes = new ArrayList<>();
        for (UdpListenerFlows flows : listeners.getOrDefault(key, Set.of())) {
            sizes.add(flows.size());
        }
        return sizes;
    }

    /**
     * Datagrams the kernel dropped at each key's listener sockets because their receive buffers were full, summed
     * over a key's sockets (see {@link UdpReceiveDrops}); keys with no drops, and every key off epoll, are absent. A
     * socket's count starts at zero when it is bound. Reads {@code /proc}: for a metrics scrape, not a hot path.
     */
    public Map<ListenerKey, Long> receiveDrops() {
        Map<Long, Long> byInode = UdpReceiveDrops.byInode();
        Map<ListenerKey, Long> out = new HashMap<>();
        if (byInode.isEmpty()) {
            return out;
        }
        listeners.forEach((key, sockets) -> {
            long drops = 0;
            for (UdpListenerFlows flows : sockets) {
                Long n = byInode.get(UdpReceiveDrops.inodeOf(flows.listenerChannel()));
                drops += n == null ? 0 : n;
            }
            if (drops > 0) {
                out.put(key, drops);
            }
        });
        return out;
    }

    /**
     * Samples the {@code limit} oldest flows across all listeners, oldest first, on the calling thread without
     * involving any event loop. A flow's byte counts are read racily, as {@code TcpConnectionTable} explains for
     * TCP connections.
     *
     * @param now the wall clock of the sample, from which {@link ConnectionInfo#openedAt()} is derived
     * @throws IllegalArgumentException when {@code limit} is negative
     */
    public List<ConnectionInfo> oldest(int limit, Instant now) {
        Objects.requireNonNull(now, "now");
        Iterable<UdpFlow> live = () -> listeners.values().stream().flatMap(Set::stream).flatMap(flows -> flows.live().stream()).iterator();
        List<UdpFlow> page = OldestFirst.select(live, limit, flow -> flow.openedNanos);
        List<ConnectionInfo> infos = new ArrayList<>(page.size());
        for (UdpFlow flow : page) {
            infos.add(flow.info(now));
        }
        return infos;
    }

    public UdpRelayOptions options() {
        return options;
    }

    /** Datagrams sent in runs of two or more, each run as one GSO message ({@link UdpTrain}), since creation. */
    public long segmentedDatagrams() {
        return segmentedDatagrams.sum();
    }

    /** Runs the kernel refused as one message and the relay sent again one datagram at a time, since creation. */
    public long refusedRuns() {
        return refusedRuns.sum();
    }

    void onRunSent(int datagrams) {
        segmentedDatagrams.add(datagrams);
    }

    void onRunRefused() {
        refusedRuns.increment();
    }

    UdpSockets sockets() {
        return sockets;
    }

    /** Takes one flow from the budget, or returns false when {@link UdpRelayOptions#maxFlows()} are live. */
    boolean tryAcquireFlow() {
        int max = options.maxFlows();
        for (;;) {
            int live = liveFlows.get();
            if (live >= max) {
                return false;
            }
            if (liveFlows.compareAndSet(live, live + 1)) {
                return true;
            }
        }
    }

    void releaseFlow() {
        liveFlows.decrementAndGet();
    }

    /** Tells {@code observer} of each new UDP client held for want of an endpoint, with its service port. */
    public void observeHolds(Consumer<ServicePortName> observer) {
        this.holdObserver = Objects.requireNonNull(observer, "observer");
    }

    void onHeld(ServicePortName servicePort) {
        holdObserver.accept(servicePort);
    }

    void register(UdpListenerFlows flows) {
        listeners.computeIfAbsent(flows.key(), k -> ConcurrentHashMap.newKeySet()).add(flows);
    }

    void unregister(UdpListenerFlows flows) {
        listeners.computeIfPresent(flows.key(), (k, set) -> set.remove(flows) && set.isEmpty() ? null : set);
    }
}
