package io.userspaceproxy.core.relay.tcp;

import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.relay.DirectMemoryGuard;
import io.userspaceproxy.core.relay.RelayOptions;
import io.userspaceproxy.core.table.LiveRoute;
import java.util.function.Supplier;

/**
 * The child handler of one TCP listener: turns every accepted connection into a relay to an endpoint of the route
 * its listener's {@link io.userspaceproxy.core.table.RouteSlot} holds now.
 *
 * <p><b>Lifecycle of a connection.</b> The accepted channel starts with {@code AUTO_READ} off. On activation it
 * reads its listener's route (one volatile read of the slot), rejects the client with a reset
 * when the client is outside the route's source ranges or there is no endpoint, picks one, and connects to it on
 * the same event loop, retrying the next endpoint on failure along {@link RelayOptions#connectTimeouts()}. Once the
 * backend connects the frontend starts reading and both directions are relayed as they come: Netty's pooled direct
 * buffers are passed from one channel to the other untouched, and each side flushes once per read loop.
 *
 * <p><b>Backpressure.</b> Both channels carry {@link RelayOptions#writeBufferHighWaterMark()} and
 * {@link RelayOptions#writeBufferLowWaterMark()}. When the bytes queued towards one side rise above the high mark
 * that side becomes unwritable, and its {@code channelWritabilityChanged} turns {@code AUTO_READ} off on the
 * <em>other</em> side; when the queue drains below the low mark, reading resumes. So a connection holds at most
 * about one high-water mark plus one read loop in the proxy per direction, however slow its reader is; the rest
 * waits in the kernel's socket buffers and, through TCP flow control, in the sender.
 *
 * <p><b>End of a connection.</b> Both channels allow half-closure: a FIN from one peer is passed on to the other
 * after the bytes before it, and the connection closes when both directions have ended. Errors, idle timeouts and
 * refusals close it with one {@link io.userspaceproxy.core.metrics.CloseReason}, counted once.
 *
 * <p>Netty's {@code spliceTo} is not used: it is deprecated in 4.2, slower on short connections, and can drop the
 * tail of a stream when the peer closes.
 */
public final class TcpRelayInitializer extends ChannelInitializer<Channel> {

    private final TcpListenerContext context;

    /**
     * An initializer whose connections are listed in a table of their own, which nobody reads: for a lone listener
     * (tests, benchmarks). A listener set passes its shared table instead.
     *
     * @see #TcpRelayInitializer(ListenerKey, ServicePortCounters, Supplier, RelayOptions, ChannelFactory,
     *      TcpConnectionTable)
     */
    public TcpRelayInitializer(ListenerKey listener, ServicePortCounters listenerCounters, Supplier<LiveRoute> route,
            RelayOptions options, ChannelFactory<? extends Channel> backendChannelFactory) {
        this(listener, listenerCounters, route, options, backendChannelFactory, TcpConnectionTable.create());
    }

    /**
     * @param listener              the listener this initializer serves
     * @param listenerCounters      the counters of the route the listener was bound for, charged for connections
     *                              that arrive after the route left the table but before the listener closed
     * @param route                 the listener's route slot; read once per accepted connection, from any event
     *                              loop; {@code null} once the listener is going away
     * @param options               connect schedule, idle timeout and water marks
     * @param backendChannelFactory makes backend channels of the same transport as the listener
     * @param connections           lists every connection of this listener while it is open (the listener set's
     *                              view and drain); one table may serve many listeners
     */
    public TcpRelayInitializer(ListenerKey listener, ServicePortCounters listenerCounters, Supplier<LiveRoute> route,
            RelayOptions options, ChannelFactory<? extends Channel> backendChannelFactory,
            TcpConnectionTable connections) {
        this(listener, listenerCounters, route, options, backendChannelFactory, connections, DirectMemoryGuard.jvm());
    }

    /**
     * As above, with the guard that refuses new connections (a reset, counted as
     * {@link io.userspaceproxy.core.metrics.CloseReason#MEMORY_REJECTED}) while direct memory is near its limit.
     */
    public TcpRelayInitializer(ListenerKey listener, ServicePortCounters listenerCounters, Supplier<LiveRoute> route,
            RelayOptions options, ChannelFactory<? extends Channel> backendChannelFactory,
            TcpConnectionTable connections, DirectMemoryGuard memoryGuard) {
        this.context = new TcpListenerContext(listener, listenerCounters, route, options, backendChannelFactory,
                connections, memoryGuard);
    }

    @Override
    protected void initChannel(Channel ch) {
        ChannelConfig config = ch.config();
        config.setAutoRead(false);
        config.setOption(ChannelOption.ALLOW_HALF_CLOSURE, Boolean.TRUE);
        config.setWriteBufferWaterMark(context.waterMark());
        ch.pipeline().addLast(new TcpFrontendHandler(context));
    }
}
