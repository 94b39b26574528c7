package io.userspaceproxy.core.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.github.benmanes.caffeine.cache.Ticker;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.userspaceproxy.core.balance.AffinityTable;
import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.balance.OutlierTable;
import io.userspaceproxy.core.listen.Transport;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteSnapshot;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.relay.DirectMemoryGuard;
import io.userspaceproxy.core.relay.udp.UdpFlowTable;
import io.userspaceproxy.core.relay.udp.UdpRelayOptions;
import io.userspaceproxy.core.table.RouteTable;
import io.userspaceproxy.core.table.TableDiff;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The UDP relay wired the way a listener set wires it, for loopback tests: one event loop group, a published
 * {@link RouteTable} behind a volatile reference, one {@link UdpFlowTable} and one {@link AffinityTable}.
 * {@link #publish} is the sync step (build, publish, then tell the flow and affinity tables); {@link #bind} binds one
 * listener socket. A listener key may carry port 0: the key names the route, the socket gets an ephemeral port.
 */
public final class UdpRelayHarness implements AutoCloseable {

    private final Transport transport;
    private final EventLoopGroup group;
    private final ProxyCounters counters = new ProxyCounters();
    private final AffinityTable affinities = AffinityTable.create();
    private final BalancerFactory balancers = BalancerFactory.of(affinities, OutlierTable.create(), counters);
    private final UdpFlowTable flows;
    private final List<Channel> listeners = new ArrayList<>();
    private final RouteTable table = RouteTable.create(balancers, counters);

    public UdpRelayHarness(Transport transport, UdpRelayOptions options) {
        this(transport, options, Ticker.systemTicker());
    }

    private UdpRelayHarness(Transport transport, UdpRelayOptions options, Ticker ticker) {
        this.transport = transport;
        this.group = transport.newEventLoopGroup(2);
        this.flows = UdpFlowTable.create(options, DirectMemoryGuard.jvm(), ticker);
    }

    /** A harness on {@code transport}, or the test is skipped (assumption) where that transport is unavailable. */
    public static UdpRelayHarness start(Transport transport, UdpRelayOptions options) {
        return start(transport, options, Ticker.systemTicker());
    }

    /** As {@link #start(Transport, UdpRelayOptions)}, its flows reading activity and idle time from {@code ticker}. */
    public static UdpRelayHarness start(Transport transport, UdpRelayOptions options, Ticker ticker) {
        assumeTrue(transport.isAvailable(), () -> transport + " is not available here");
        return new UdpRelayHarness(transport, options, ticker);
    }

    /** An echo endpoint named {@code name} on this harness's event loops; the caller closes it. */
    public UdpEchoBackend echo(String name) throws InterruptedException {
        return UdpEchoBackend.start(name, group, transport);
    }

    public EventLoopGroup group() {
        return group;
    }

    /**
     * Sends {@code payloads} from {@code client} to {@code to} while every event loop of this harness is held busy,
     * then lets them go: the listener then reads the whole burst in one read loop, as a relay that fell behind
     * does, and whatever that read loop batches (runs, one flush) is what the test sees.
     */
    public void sendWhileLoopsBusy(UdpTestClient client, InetSocketAddress to, List<String> payloads) {
        CountDownLatch sent = new CountDownLatch(1);
        for (EventExecutor loop : group) {
            loop.execute(() -> {
                try {
                    sent.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        try {
            for (String payload : payloads) {
                client.send(to, payload);
            }
        } finally {
            sent.countDown();
        }
    }

    public Transport transport() {
        return transport;
    }

    /** Makes the table serve exactly {@code routes}, then lets the flow and affinity tables catch up. */
    public void publish(Map<ListenerKey, Route> routes) {
        RouteSnapshot snapshot = new RouteSnapshot(routes);
        TableDiff diff = table.apply(snapshot);
        flows.onRoutesChanged(diff.routeChanged());
        flows.onRoutesChanged(diff.removed());
        affinities.retain(snapshot.routes().values());
    }

    /** Binds a UDP listener for {@code key} and returns the address clients send to. */
    public InetSocketAddress bind(ListenerKey key) throws InterruptedException {
        Channel channel = new Bootstrap()
                .group(group)
                .channelFactory(transport.datagramChannelFactory())
                .handler(flows.listenerHandler(key, () -> table.lookup(key)))
                .bind(key.address())
                .sync()
                .channel();
        listeners.add(channel);
        return (InetSocketAddress) channel.localAddress();
    }

    public UdpFlowTable flows() {
        return flows;
    }

    public AffinityTable affinities() {
        return affinities;
    }

    public ServicePortCounters counters(ServicePortName servicePort) {
        return counters.forServicePort(servicePort);
    }

    @Override
    public void close() {
        for (Channel listener : listeners) {
            listener.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
