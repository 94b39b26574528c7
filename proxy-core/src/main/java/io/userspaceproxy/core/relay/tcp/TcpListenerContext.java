package io.userspaceproxy.core.relay.tcp;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.WriteBufferWaterMark;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.relay.DirectMemoryGuard;
import io.userspaceproxy.core.relay.RelayOptions;
import io.userspaceproxy.core.table.LiveRoute;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * What every connection accepted on one listener shares, prepared once when the listener is bound so that the
 * per-connection path only reads fields: the listener's route slot, the backend channel factory, the connect schedule in
 * milliseconds, the water marks and the idle timeout in nanoseconds. Immutable and safe to share across event loops.
 */
final class TcpListenerContext {

    private final ListenerKey listener;
    private final ServicePortCounters listenerCounters;
    private final Supplier<LiveRoute> route;
    private final ChannelFactory<? extends Channel> backendChannelFactory;
    private final int[] connectTimeoutMillis;
    private final WriteBufferWaterMark waterMark;
    private final long idleTimeoutNanos;
    private final int spliceThresholdBytes;
    private final int maxHeldConnections;
    private final TcpConnectionTable connections;
    private final DirectMemoryGuard memoryGuard;

    TcpListenerContext(ListenerKey listener, ServicePortCounters listenerCounters, Supplier<LiveRoute> route,
            RelayOptions options, ChannelFactory<? extends Channel> backendChannelFactory,
            TcpConnectionTable connections, DirectMemoryGuard memoryGuard) {
        this.memoryGuard = Objects.requireNonNull(memoryGuard, "memoryGuard");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.connections = Objects.requireNonNull(connections, "connections");
        this.listenerCounters = Objects.requireNonNull(listenerCounters, "listenerCounters");
        this.route = Objects.requireNonNull(route, "route");
        this.backendChannelFactory = Objects.requireNonNull(backendChannelFactory, "backendChannelFactory");
        this.waterMark = new WriteBufferWaterMark(options.writeBufferLowWaterMark(), options.writeBufferHighWaterMark());
        this.idleTimeoutNanos = options.tcpIdleTimeout().toNanos();
        this.spliceThresholdBytes = options.spliceThresholdBytes();
        this.maxHeldConnections = options.maxHeldConnections();
        List<Duration> timeouts = options.connectTimeouts();
        this.connectTimeoutMillis = new int[timeouts.size()];
        for (int i = 0; i < connectTimeoutMillis.length; i++) {
            // RelayOptions bounds every timeout to [1 ms, Integer.MAX_VALUE ms].
            connectTimeoutMillis[i] = (int) timeouts.get(i).toMillis();
        }
    }

    /** Asked once per accepted connection, before routing: refuses newcomers when direct memory is near its limit. */
    DirectMemoryGuard memoryGuard() {
        return memoryGuard;
    }

    ListenerKey listener() {
        return listener;
    }

    /** The route now served on this listener, or {@code null} while the listener is being closed. */
    LiveRoute lookupRoute() {
        return route.get();
    }

    /**
     * The counters to charge when the route is already gone (a connection accepted in the moment between a table
     * without this listener being published and the listener being closed): those of the route it was bound for.
     */
    ServicePortCounters listenerCounters() {
        return listenerCounters;
    }

    ChannelFactory<? extends Channel> backendChannelFactory() {
        return backendChannelFactory;
    }

    /** How long attempt {@code attempt} (0-based) may take to connect. */
    int connectTimeoutMillis(int attempt) {
        return connectTimeoutMillis[attempt];
    }

    long connectTimeoutNanos(int attempt) {
        return connectTimeoutMillis[attempt] * 1_000_000L;
    }

    int connectAttempts() {
        return connectTimeoutMillis.length;
    }

    WriteBufferWaterMark waterMark() {
        return waterMark;
    }

    /** Where this listener's connections are listed while open; shared by every listener of a listener set. */
    TcpConnectionTable connections() {
        return connections;
    }

    /** Bytes one read loop must move for its connection to switch to splice(2); zero when it never does. */
    int spliceThresholdBytes() {
        return spliceThresholdBytes;
    }

    /** How many connections the node may hold at once for want of an endpoint (see {@link HeldConnections}). */
    int maxHeldConnections() {
        return maxHeldConnections;
    }

    /** Zero when idle connections are kept forever. */
    long idleTimeoutNanos() {
        return idleTimeoutNanos;
    }
}
