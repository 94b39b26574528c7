package io.userspaceproxy.core.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.EventLoopGroup;
import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.listen.ListenerOptions;
import io.userspaceproxy.core.listen.ListenerSet;
import io.userspaceproxy.core.listen.Transport;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteSnapshot;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.relay.RelayOptions;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The set-up most data-plane integration tests share: a {@link ListenerSet} on loopback with its counters, the
 * resources a test opens beside it, and one route served on a free port of a 127.x address. Registered with
 * {@code @RegisterExtension}, it closes the listener set, then the resources, after each test. The listener set
 * starts on first use, with the fixture's options unless the test {@linkplain #start started} it with others.
 */
public final class ProxyFixture implements AfterEachCallback {

    /** The service port the tests route for, unless they need several. */
    public static final ServicePortName WEB = new ServicePortName("default", "web", "http", Protocol.TCP);

    private final ListenerOptions options;
    private final ProxyCounters counters = new ProxyCounters();
    private final Closer resources = new Closer();
    private ListenerSet proxy;

    public ProxyFixture() {
        this(ListenerOptions.defaults());
    }

    public ProxyFixture(ListenerOptions options) {
        this.options = options;
    }

    /**
     * For a test class run once per transport: two event loops on {@code transport}, default relay options. Aborts
     * (skips) the test where the transport is unavailable.
     */
    public ProxyFixture(Transport transport) {
        this(new ListenerOptions(transport, 2, RelayOptions.DEFAULT, Duration.ofSeconds(5)));
        assumeTrue(transport.isAvailable(), () -> transport + " unavailable: " + transport.unavailabilityCause());
    }

    /** The fixture's options, for a test that starts the listener set with some of them changed. */
    public ListenerOptions options() {
        return options;
    }

    /** The listener set: started with the fixture's options if the test has not started one. */
    public ListenerSet proxy() {
        if (proxy == null) {
            proxy = new ListenerSet(options, counters);
        }
        return proxy;
    }

    /** Closes the listener set, if one runs, and starts another with {@code newOptions}, on the same counters. */
    public ListenerSet start(ListenerOptions newOptions) {
        return replace(new ListenerSet(newOptions, counters));
    }

    /** As {@link #start(ListenerOptions)}, balancing every route with {@code balancers}. */
    public ListenerSet start(ListenerOptions newOptions, BalancerFactory balancers) {
        return replace(new ListenerSet(newOptions, balancers, counters));
    }

    /** Starts a listener set with the fixture's options but {@code relay}, round-robin on every route. */
    public ListenerSet start(RelayOptions relay) {
        return start(options.withRelay(relay), BalancerFactory.ROUND_ROBIN);
    }

    private ListenerSet replace(ListenerSet next) {
        if (proxy != null) {
            proxy.close();
        }
        proxy = next;
        return next;
    }

    public ProxyCounters counters() {
        return counters;
    }

    /** The counters of {@link #WEB}. */
    public ServicePortCounters web() {
        return counters.forServicePort(WEB);
    }

    /** An event loop group of the fixture's transport, for the test's own backends; shut down after the test. */
    public EventLoopGroup eventLoops(int threads) {
        EventLoopGroup group = options.transport().newEventLoopGroup(threads);
        resources.add(() -> group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly());
        return group;
    }

    /** Registers {@code resource} to be closed after the test, after the listener set; returns it. */
    public <T extends AutoCloseable> T add(T resource) {
        return resources.add(resource);
    }

    /** Serves {@code route} on a free TCP port of {@code ip} (a 127.x address) and returns its key. */
    public ListenerKey serve(String ip, Route route) {
        ListenerKey key = ListenerKey.of(Protocol.TCP, TcpPorts.freeAddress(ip));
        serve(key, route);
        return key;
    }

    /** Makes {@code key} serve {@code route} (and only it), and checks that it listens. */
    public void serve(ListenerKey key, Route route) {
        proxy().apply(new RouteSnapshot(Map.of(key, route)));
        assertThat(proxy().boundKeys()).as("listening").contains(key);
    }

    /** Connects to {@code key}, reads the first line (an echo server's name) and closes. */
    public static String firstLine(ListenerKey key) throws IOException {
        try (TcpTestClient client = TcpTestClient.connect(key.address())) {
            return client.readLine();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        try {
            if (proxy != null) {
                proxy.close();
            }
        } finally {
            resources.close();
        }
    }
}
