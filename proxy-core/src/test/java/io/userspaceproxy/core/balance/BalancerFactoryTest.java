package io.userspaceproxy.core.balance;

import static io.userspaceproxy.core.balance.ClientIpAffinityBalancerTest.A;
import static io.userspaceproxy.core.balance.ClientIpAffinityBalancerTest.ALICE;
import static io.userspaceproxy.core.balance.ClientIpAffinityBalancerTest.B;
import static io.userspaceproxy.core.balance.ClientIpAffinityBalancerTest.BOB;
import static io.userspaceproxy.core.balance.ClientIpAffinityBalancerTest.C;
import static io.userspaceproxy.core.balance.ClientIpAffinityBalancerTest.CAROL;
import static io.userspaceproxy.core.balance.ClientIpAffinityBalancerTest.D;
import static io.userspaceproxy.core.balance.ClientIpAffinityBalancerTest.WEB;
import static io.userspaceproxy.core.balance.ClientIpAffinityBalancerTest.route;
import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteSnapshot;
import io.userspaceproxy.core.table.RouteTable;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The proxy's balancer factory, through the table builder that calls it. */
class BalancerFactoryTest {

    static final ListenerKey VIP = ListenerKey.of(Protocol.TCP, new InetSocketAddress("127.0.20.9", 80));

    final AtomicLong now = new AtomicLong();
    final AffinityTable affinities = AffinityTable.create(1_000, now::get, Runnable::run);
    final ProxyCounters counters = new ProxyCounters();
    final BalancerFactory factory = BalancerFactory.of(affinities, OutlierTable.create(), counters);

    final RouteTable table = RouteTable.create(factory, counters);

    LoadBalancer publish(Route route) {
        table.apply(new RouteSnapshot(Map.of(VIP, route)));
        return table.lookup(VIP).balancer();
    }

    @Test
    void create_noAffinity_roundRobinsEvenOneClient() {
        LoadBalancer balancer = factory.create(Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(A, B)));

        assertThat(List.of(balancer.pick(ALICE), balancer.pick(ALICE))).containsExactly(A, B);
        assertThat(affinities.size()).isZero();
    }

    @Test
    void create_clientIpAffinity_holdsClientAndCountsHitsOnItsServicePort() {
        LoadBalancer balancer = factory.create(route(Duration.ofMinutes(5), A, B));

        assertThat(List.of(balancer.pick(ALICE), balancer.pick(ALICE))).containsExactly(A, A);
        assertThat(counters.forServicePort(WEB).affinityHits()).isEqualTo(1);
    }

    @Test
    void apply_endpointsChanged_keepsAffinityMemoryAndRotation() {
        LoadBalancer first = publish(route(Duration.ofMinutes(5), A, B, C));
        first.pick(ALICE);
        first.pick(BOB);

        LoadBalancer balancer = publish(route(Duration.ofMinutes(5), A, B, C, D));

        assertThat(balancer).isNotSameAs(first);
        assertThat(balancer.pick(ALICE)).isEqualTo(A);
        assertThat(balancer.pick(CAROL)).isEqualTo(C);
    }
}
