package io.userspaceproxy.core.balance;

import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.IpAddresses;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Least connections: the fewest open wins, ties take turns, releases count down, and counts outlive a sync. */
class LeastConnectionsBalancerTest {

    private static final InetAddress CLIENT = IpAddresses.parse("192.0.2.7");
    private static final Endpoint E1 = Endpoint.of("10.0.0.1", 8080);
    private static final Endpoint E2 = Endpoint.of("10.0.0.2", 8080);
    private static final Endpoint E3 = Endpoint.of("10.0.0.3", 8080);

    private static List<Endpoint> picks(LoadBalancer balancer, int n) {
        return Picks.of(balancer, CLIENT, n);
    }

    @Test
    void nothingOpen_tiesTakeTurns() {
        assertThat(picks(LoadBalancer.leastConnections(List.of(E1, E2, E3)), 6))
                .containsExactly(E1, E2, E3, E1, E2, E3);
    }

    @Test
    void theBusiestIsAvoided_untilItsConnectionsEnd() {
        LoadBalancer b = LoadBalancer.leastConnections(List.of(E1, E2, E3));
        EndpointLoad one = b.onConnected(E1);
        EndpointLoad two = b.onConnected(E1);
        b.onConnected(E2);

        assertThat(picks(b, 4)).containsOnly(E3);

        one.release();
        two.release();
        assertThat(picks(b, 4)).contains(E1).doesNotContain(E2);
    }

    @Test
    void countsCarryOverToTheBalancerANewSyncMakes() {
        LoadBalancer b = LoadBalancer.leastConnections(List.of(E1, E2));
        b.onConnected(E1);

        LoadBalancer synced = b.withEndpoints(List.of(E1, E2, E3));

        assertThat(picks(synced, 6)).doesNotContain(E1);
    }
}
