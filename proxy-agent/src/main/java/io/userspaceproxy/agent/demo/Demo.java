package io.userspaceproxy.agent.demo;

import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@code --demo} does once the first sync has bound the listeners: starts a stand-in backend on every endpoint
 * of the routes ({@link DemoBackends}), then, off the caller's thread, sends a few requests through every ClusterIP,
 * TCP and UDP, and logs which endpoint answered ({@link DemoClient}). Closing it stops the backends.
 */
public final class Demo implements AutoCloseable {

    static final int REQUESTS = 6;

    private final DemoBackends backends;

    private Demo(DemoBackends backends) {
        this.backends = backends;
    }

    /** @param routes every listener's route, as the first sync served them */
    public static Demo start(Map<ListenerKey, Route> routes) {
        List<DemoBackends.Backend> backends = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        List<Map.Entry<ListenerKey, Route>> tcp = new ArrayList<>();
        List<Map.Entry<ListenerKey, Route>> udp = new ArrayList<>();
        for (Map.Entry<ListenerKey, Route> e : routes.entrySet()) {
            Route route = e.getValue();
            for (Endpoint ep : route.endpoints()) {
                if (seen.add(e.getKey().protocol() + " " + ep)) {
                    backends.add(new DemoBackends.Backend(e.getKey().protocol(), ep, route.servicePort().toString()));
                }
            }
            if (route.frontend() == FrontendKind.CLUSTER_IP) {
                (e.getKey().protocol() == Protocol.TCP ? tcp : udp).add(e);
            }
        }
        Demo demo = new Demo(DemoBackends.start(backends));
        Thread t = new Thread(() -> {
            tcp.forEach(e -> DemoClient.show(e.getValue().servicePort().toString(), e.getKey().address(), REQUESTS));
            udp.forEach(e -> DemoClient.showUdp(e.getValue().servicePort().toString(), e.getKey().address(),
                    REQUESTS));
        }, "demo-client");
        t.setDaemon(true);
        t.start();
        return demo;
    }

    @Override
    public void close() {
        backends.close();
    }
}
