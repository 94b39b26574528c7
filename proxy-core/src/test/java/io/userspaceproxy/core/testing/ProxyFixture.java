package io.userspaceproxy.core.testing;

import io.userspaceproxy.core.listen.ListenerOptions;
import io.userspaceproxy.core.listen.ListenerSet;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteSnapshot;
import io.userspaceproxy.core.model.ServicePortName;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The set-up most data-plane integration tests share: a {@link ListenerSet} on loopback with its counters, the
 * resources a test opens beside it, and one route served on a free port of a 127.x address. Registered with
 * {@code @RegisterExtension}, it closes the listener set, then the resources, after each test.
 */
public final class ProxyFixture implements AfterEachCallback {

    /** The service port the tests route for, unless they need several. */
    public static final ServicePortName WEB = new ServicePortName("default", "web", "http", Protocol.TCP);

    private final ProxyCounters counters = new ProxyCounters();
    private final Closer resources = new Closer();
    private ListenerSet proxy;

    public ProxyFixture() {
        this(ListenerOptions.defaults());
    }

    public ProxyFixture(ListenerOptions options) {
        this.proxy = new ListenerSet(options, counters);
    }

    public ListenerSet proxy() {
        return proxy;
    }

    /** Closes the listener set and starts another with {@code options}, on the same counters. */
    public ListenerSet restart(ListenerOptions options) {
        proxy.close();
        proxy = new ListenerSet(options, counters);
        return proxy;
    }

    public ProxyCounters counters() {
        return counters;
    }

    /** The counters of {@link #WEB}. */
    public ServicePortCounters web() {
        return counters.forServicePort(WEB);
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

    /** Makes {@code key} serve {@code route} (and only it). */
    public void serve(ListenerKey key, Route route) {
        proxy.apply(new RouteSnapshot(Map.of(key, route)));
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
            proxy.close();
        } finally {
            resources.close();
        }
    }
}
