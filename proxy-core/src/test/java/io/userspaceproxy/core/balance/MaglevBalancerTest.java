package io.userspaceproxy.core.balance;

import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.core.model.Endpoint;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Maglev's promises, on 10,000 client addresses: two nodes that build their tables apart (and list the endpoints in
 * different orders) send every client to the same endpoint; removing one of 10 endpoints moves at most 15 % of the
 * clients; and the endpoints share the clients evenly, from a table of a fixed prime size.
 */
class MaglevBalancerTest {

    private static final int CLIENTS = 10_000;

    private static List<Endpoint> endpoints(int n) {
        List<Endpoint> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(Endpoint.of("10.244.0." + i, 8080));
        }
        return out;
    }

    private static List<InetAddress> clients() throws UnknownHostException {
        List<InetAddress> out = new ArrayList<>(CLIENTS);
        for (int i = 0; i < CLIENTS; i++) {
            out.add(InetAddress.getByAddress(new byte[] {(byte) 100, (byte) 64, (byte) (i >> 8), (byte) i}));
        }
        return out;
    }

    @Test
    void twoNodes_differentListOrder_sameEndpointForEveryClient() throws Exception {
        List<Endpoint> eps = endpoints(10);
        List<Endpoint> shuffled = new ArrayList<>(eps);
        Collections.reverse(shuffled);
        LoadBalancer nodeA = LoadBalancer.maglev(eps);
        LoadBalancer nodeB = LoadBalancer.maglev(shuffled);

        for (InetAddress client : clients()) {
            assertThat(nodeB.pick(client)).isEqualTo(nodeA.pick(client));
        }
    }

    @Test
    void oneOfTenRemoved_atMostFifteenPercentOfClientsMove() throws Exception {
        List<Endpoint> eps = endpoints(10);
        LoadBalancer before = LoadBalancer.maglev(eps);
        LoadBalancer after = before.withEndpoints(eps.subList(1, 10));

        int moved = 0;
        for (InetAddress client : clients()) {
            if (!before.pick(client).equals(after.pick(client))) {
                moved++;
            }
        }

        assertThat(moved).as("clients moved").isLessThanOrEqualTo(CLIENTS * 15 / 100)
                .as("at least the removed endpoint's own").isGreaterThanOrEqualTo(CLIENTS * 7 / 100);
    }

    @Test
    void tenEndpoints_shareTheClientsEvenly_andTheTableIsAPrimeOfAHundredPerEndpoint() throws Exception {
        LoadBalancer b = LoadBalancer.maglev(endpoints(10));
        Map<Endpoint, Integer> share = new HashMap<>();
        for (InetAddress client : clients()) {
            share.merge(b.pick(client), 1, Integer::sum);
        }

        assertThat(share).hasSize(10);
        assertThat(share.values()).allSatisfy(n -> assertThat(n).isBetween(700, 1300));
        assertThat(MaglevBalancer.tableSize(10)).isEqualTo(1009);
        assertThat(MaglevBalancer.tableSize(11)).isEqualTo(10_007);
        assertThat(List.of(1_009, 10_007, 100_003))
                .allSatisfy(p -> assertThat(MaglevBalancer.primeAtLeast(p)).isEqualTo(p));
        assertThat(MaglevBalancer.populate(endpoints(10).toArray(new Endpoint[0]))).hasSize(1009);
    }

    @Test
    void pickAfterFailure_neverTheFailedOne_andNoEndpointsPicksNothing() throws Exception {
        List<Endpoint> eps = endpoints(3);
        LoadBalancer b = LoadBalancer.maglev(eps);
        InetAddress client = clients().get(0);
        Endpoint first = b.pick(client);

        assertThat(b.pickAfterFailure(client, first)).isNotEqualTo(first);
        assertThat(LoadBalancer.maglev(List.of()).pick(client)).isNull();
    }
}
