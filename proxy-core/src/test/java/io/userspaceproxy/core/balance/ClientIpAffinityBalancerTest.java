package io.userspaceproxy.core.balance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.IpAddresses;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.model.SessionAffinity;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** ClientIP affinity on a fake clock: stickiness, expiry, re-balancing, and timeouts that follow the route. */
class ClientIpAffinityBalancerTest {

    static final ServicePortName WEB = new ServicePortName("default", "web", "http", Protocol.TCP);
    static final Endpoint A = Endpoint.of("10.0.0.1", 8080);
    static final Endpoint B = Endpoint.of("10.0.0.2", 8080);
    static final Endpoint C = Endpoint.of("10.0.0.3", 8080);
    static final Endpoint D = Endpoint.of("10.0.0.4", 8080);
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final InetAddress ALICE = IpAddresses.parse("192.168.1.10");
    static final InetAddress BOB = IpAddresses.parse("192.168.1.11");
    static final InetAddress CAROL = IpAddresses.parse("192.168.1.12");

    final AtomicLong now = new AtomicLong(1_000_000_000L);
    final AffinityTable affinities = AffinityTable.create(1_000, now::get, Runnable::run);
    final ServicePortCounters counters = new ServicePortCounters();

    static Route route(Duration timeout, Endpoint... endpoints) {
        return Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(endpoints))
                .withAffinity(SessionAffinity.clientIp(timeout));
    }

    LoadBalancer balancer(Route route) {
        return LoadBalancer.clientIpAffinity(route, affinities, counters);
    }

    void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    @Test
    void pick_sameClientBetweenOthers_returnsOneEndpointAndCountsHits() {
        LoadBalancer balancer = balancer(route(TIMEOUT, A, B, C));

        Endpoint first = balancer.pick(ALICE);
        for (int i = 0; i < 5; i++) {
            balancer.pick(IpAddresses.parse("172.16.0." + (i + 1)));
            assertThat(balancer.pick(ALICE)).isEqualTo(first);
        }

        assertThat(counters.affinityHits()).isEqualTo(5);
    }

    @Test
    void pick_differentClients_spreadRoundRobin() {
        LoadBalancer balancer = balancer(route(TIMEOUT, A, B, C));

        assertThat(List.of(balancer.pick(ALICE), balancer.pick(BOB), balancer.pick(CAROL))).containsExactly(A, B, C);
        assertThat(counters.affinityHits()).isZero();
    }

    @Test
    void pick_noEndpoints_returnsNull() {
        assertThat(balancer(route(TIMEOUT)).pick(ALICE)).isNull();
    }

    @Test
    void pick_seenJustWithinTimeout_keepsEndpoint() {
        LoadBalancer balancer = balancer(route(TIMEOUT, A, B, C));
        balancer.pick(ALICE);
        balancer.pick(BOB);

        advance(TIMEOUT.minusNanos(1));

        assertThat(balancer.pick(ALICE)).isEqualTo(A);
    }

    @Test
    void pick_timeoutElapsed_rebalancesToNextEndpoint() {
        LoadBalancer balancer = balancer(route(TIMEOUT, A, B, C));
        balancer.pick(ALICE);
        balancer.pick(BOB);

        advance(TIMEOUT);

        assertThat(balancer.pick(ALICE)).isEqualTo(C);
        assertThat(counters.affinityHits()).isZero();
    }

    @Test
    void pick_eachSighting_restartsTheTimeout() {
        LoadBalancer balancer = balancer(route(TIMEOUT, A, B, C));
        balancer.pick(ALICE);
        balancer.pick(BOB);

        for (int i = 0; i < 4; i++) {
            advance(TIMEOUT.multipliedBy(3).dividedBy(4));
            assertThat(balancer.pick(ALICE)).isEqualTo(A);
        }
    }

    @Test
    void withEndpoints_heldEndpointRemoved_rebalancesAndRemembers() {
        LoadBalancer balancer = balancer(route(TIMEOUT, A, B, C));
        assertThat(balancer.pick(ALICE)).isEqualTo(A);

        LoadBalancer next = balancer.withEndpoints(List.of(B, C));

        Endpoint moved = next.pick(ALICE);
        assertThat(moved).isIn(B, C);
        assertThat(next.pick(ALICE)).isEqualTo(moved);
        assertThat(affinities.endpointOf(WEB, ALICE)).isEqualTo(moved);
    }

    @Test
    void withEndpoints_heldEndpointKept_keepsClientAndContinuesRotation() {
        LoadBalancer balancer = balancer(route(TIMEOUT, A, B, C));
        balancer.pick(ALICE);
        assertThat(balancer.pick(BOB)).isEqualTo(B);

        LoadBalancer next = balancer.withEndpoints(List.of(A, B, C, D));

        assertThat(next.pick(BOB)).isEqualTo(B);
        assertThat(next.pick(CAROL)).isEqualTo(C);
    }

    @Test
    void pickAfterFailure_heldEndpointFailed_rebalancesToNextAndRemembers() {
        LoadBalancer balancer = balancer(route(TIMEOUT, A, B, C));
        assertThat(balancer.pick(ALICE)).isEqualTo(A);

        assertThat(balancer.pickAfterFailure(ALICE, A)).isEqualTo(B);

        assertThat(balancer.pick(ALICE)).isEqualTo(B);
        assertThat(affinities.endpointOf(WEB, ALICE)).isEqualTo(B);
    }

    @Test
    void pick_timeoutShortenedAfterEntriesExist_honouredAtOnce() {
        balancer(route(SessionAffinity.DEFAULT_TIMEOUT, A, B, C)).pick(ALICE);
        LoadBalancer shorter = balancer(route(Duration.ofSeconds(10), A, B, C));
        assertThat(shorter.pick(BOB)).isEqualTo(A);

        advance(Duration.ofSeconds(11));

        assertThat(shorter.pick(ALICE)).isEqualTo(B);
        assertThat(counters.affinityHits()).isZero();
    }

    @Test
    void pick_timeoutLengthenedWhileClientActive_honouredFromNextSighting() {
        balancer(route(Duration.ofSeconds(10), A, B, C)).pick(ALICE);
        LoadBalancer longer = balancer(route(Duration.ofSeconds(100), A, B, C));

        advance(Duration.ofSeconds(5));
        assertThat(longer.pick(ALICE)).isEqualTo(A);
        advance(Duration.ofSeconds(60));

        assertThat(longer.pick(ALICE)).isEqualTo(A);
        assertThat(counters.affinityHits()).isEqualTo(2);
    }

    @Test
    void clientIpAffinity_routeWithoutAffinity_isRefusedWithReason() {
        Route none = Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(A));

        assertThatThrownBy(() -> LoadBalancer.clientIpAffinity(none, affinities, counters))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("route.affinity: NONE (expected: CLIENT_IP)");
    }
}
