package io.userspaceproxy.bench.relay;

import io.userspaceproxy.core.listen.ApplyResult;
import io.userspaceproxy.core.listen.ListenerOptions;
import io.userspaceproxy.core.listen.ListenerSet;
import io.userspaceproxy.core.listen.Transport;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteSnapshot;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.relay.RelayOptions;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The proxy as the agent runs it ({@link ListenerOptions#defaults()}: the best transport, one event loop per core;
 * {@code -Dbench.transport=io_uring} or another name of {@code --transport} picks one), with one ClusterIP route per
 * backend, from a loopback VIP to that backend alone. Each route's listener takes its
 * backend's port number on the VIP, which is free there because the backends bind 127.0.0.1 only.
 */
final class LoopbackProxy implements AutoCloseable {

    private final ListenerSet listeners;
    private final List<InetSocketAddress> addresses;
    private final List<ServicePortCounters> counters;

    private LoopbackProxy(ListenerSet listeners, List<InetSocketAddress> addresses,
            List<ServicePortCounters> counters) {
        this.listeners = listeners;
        this.addresses = addresses;
        this.counters = counters;
    }

    /**
     * Binds {@code vip} on each backend's port and routes it to that backend, each as its own service port.
     *
     * @throws IllegalStateException when a listener could not be bound
     */
    static LoopbackProxy start(Protocol protocol, String vip, InetSocketAddress... backends) {
        return start(protocol, vip, RelayOptions.DEFAULT, backends);
    }

    /** As {@link #start(Protocol, String, InetSocketAddress...)}, relaying TCP with {@code relay}. */
    static LoopbackProxy start(Protocol protocol, String vip, RelayOptions relay, InetSocketAddress... backends) {
        ProxyCounters counters = new ProxyCounters();
        Map<ListenerKey, Route> routes = new LinkedHashMap<>();
        List<InetSocketAddress> addresses = new ArrayList<>();
        List<ServicePortName> servicePorts = new ArrayList<>();
        for (InetSocketAddress backend : backends) {
            ServicePortName servicePort = new ServicePortName("bench", "relay-" + backend.getPort(), "", protocol);
            InetSocketAddress address = new InetSocketAddress(vip, backend.getPort());
            routes.put(ListenerKey.of(protocol, address),
                    Route.of(servicePort, FrontendKind.CLUSTER_IP, List.of(new Endpoint(backend))));
            addresses.add(address);
            servicePorts.add(servicePort);
        }
        Transport transport = Transport.parse(System.getProperty("bench.transport", "auto"));
        ListenerSet listeners = new ListenerSet(ListenerOptions.defaults().withTransport(transport).withRelay(relay),
                counters);
        ApplyResult result = listeners.apply(new RouteSnapshot(routes));
        if (!result.isComplete()) {
            listeners.close();
            throw new IllegalStateException("listeners on " + addresses + " not bound: " + result.bindFailures());
        }
        return new LoopbackProxy(listeners, addresses,
                servicePorts.stream().map(counters::forServicePort).toList());
    }

    /** Where clients connect to reach the {@code i}th backend through the proxy. */
    InetSocketAddress address(int i) {
        return addresses.get(i);
    }

    /** The {@code i}th route's counters: what the proxy relayed to that backend. */
    ServicePortCounters counters(int i) {
        return counters.get(i);
    }

    /** Waits until the proxy has closed every connection it accepted, at most {@code timeout}. */
    boolean awaitDrained(Duration timeout) throws InterruptedException {
        return listeners.awaitDrained(timeout);
    }

    @Override
    public void close() {
        listeners.close();
    }
}
