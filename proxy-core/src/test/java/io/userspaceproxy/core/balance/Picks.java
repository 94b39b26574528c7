package io.userspaceproxy.core.balance;

import io.userspaceproxy.core.model.Endpoint;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/** The next {@code n} picks of a balancer for one client, in order: what the balancer tests compare. */
final class Picks {

    private Picks() {
    }

    static List<Endpoint> of(LoadBalancer balancer, InetAddress client, int n) {
        List<Endpoint> picked = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            picked.add(balancer.pick(client));
        }
        return picked;
    }
}
