package io.userspaceproxy.core.balance;

import static io.userspaceproxy.core.balance.ClientIpAffinityBalancerTest.A;
import static io.userspaceproxy.core.balance.ClientIpAffinityBalancerTest.ALICE;
import static io.userspaceproxy.core.balance.ClientIpAffinityBalancerTest.B;
import static io.userspaceproxy.core.balance.ClientIpAffinityBalancerTest.BOB;
import static io.userspaceproxy.core.balance.ClientIpAffinityBalancerTest.C;
import static io.userspaceproxy.core.balance.ClientIpAffinityBalancerTest.WEB;
import static io.userspaceproxy.core.balance.ClientIpAffinityBalancerTest.route;
import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.model.SessionAffinity;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The sync-time side of affinity: what {@link AffinityTable#retain} forgets, keeps and re-stamps. */
class AffinityTableTest {

    static final ServicePortName API = new ServicePortName("default", "api", "grpc", Protocol.TCP);

    final AtomicLong now = new AtomicLong(5_000_000_000L);
    final AffinityTable affinities = AffinityTable.create(1_000, now::get, Runnable::run);
    final ServicePortCounters counters = new ServicePortCounters();

    LoadBalancer balancer(Route route) {
        return LoadBalancer.clientIpAffinity(route, affinities, counters);
    }

    static Route api(Duration timeout) {
        return Route.of(API, FrontendKind.CLUSTER_IP, List.of(A, B)).withAffinity(SessionAffinity.clientIp(timeout));
    }

    @Test
    void retain_affinitySwitchedOff_forgetsThatServicePortsClientsOnly() {
        Route web = route(Duration.ofHours(1), A, B, C);
        balancer(web).pick(ALICE);
        balancer(web).pick(BOB);
        balancer(api(Duration.ofHours(1))).pick(ALICE);

        affinities.retain(List.of(web.withAffinity(SessionAffinity.NONE), api(Duration.ofHours(1))));

        assertThat(affinities.endpointOf(WEB, ALICE)).isNull();
        assertThat(affinities.endpointOf(WEB, BOB)).isNull();
        assertThat(affinities.endpointOf(API, ALICE)).isEqualTo(A);
        assertThat(affinities.size()).isEqualTo(1);
    }

    @Test
    void retainServicePort_looksAtThatServicePortsClientsOnly() {
        balancer(route(Duration.ofHours(1), A, B, C)).pick(ALICE);
        balancer(api(Duration.ofHours(1))).pick(ALICE);

        affinities.retain(API, List.of());

        assertThat(affinities.endpointOf(API, ALICE)).as("the service port named is gone").isNull();
        assertThat(affinities.endpointOf(WEB, ALICE)).as("another service port, not named: kept").isEqualTo(A);
    }

    @Test
    void retainServicePort_afterItsClientsExpired_findsNothingLeftToSweep() {
        balancer(route(Duration.ofSeconds(10), A, B)).pick(ALICE);
        now.addAndGet(Duration.ofSeconds(11).toNanos());
        assertThat(affinities.size()).as("expired and removed").isZero();

        affinities.retain(WEB, List.of(route(Duration.ofSeconds(10), B)));
        balancer(route(Duration.ofSeconds(10), A, B)).pick(BOB);
        affinities.retain(WEB, List.of(route(Duration.ofSeconds(10), B)));

        assertThat(affinities.endpointOf(WEB, BOB)).as("indexed again after its write, then swept").isNull();
    }

    @Test
    void retain_servicePortGone_forgetsItsClients() {
        balancer(route(Duration.ofHours(1), A, B, C)).pick(ALICE);

        affinities.retain(List.of());

        assertThat(affinities.size()).isZero();
    }

    @Test
    void retain_endpointGone_dropsOnlyEntriesHeldOnIt() {
        LoadBalancer balancer = balancer(route(Duration.ofHours(1), A, B, C));
        assertThat(balancer.pick(ALICE)).isEqualTo(A);
        assertThat(balancer.pick(BOB)).isEqualTo(B);

        affinities.retain(List.of(route(Duration.ofHours(1), B, C)));

        assertThat(affinities.endpointOf(WEB, ALICE)).isNull();
        assertThat(affinities.endpointOf(WEB, BOB)).isEqualTo(B);
    }

    @Test
    void retain_endpointInAnotherRouteOfSamePort_keepsEntry() {
        balancer(route(Duration.ofHours(1), A, B, C)).pick(ALICE);
        Route clusterIp = route(Duration.ofHours(1), B, C);
        Route nodePort = Route.of(WEB, FrontendKind.NODE_PORT, List.of(A)).withAffinity(clusterIp.affinity())
                .withUdpIdleTimeout(clusterIp.udpIdleTimeout());

        affinities.retain(List.of(clusterIp, nodePort));

        assertThat(affinities.endpointOf(WEB, ALICE)).isEqualTo(A);
    }

    @Test
    void retain_timeoutLengthened_keepsIdleClientsPastTheOldTimeout() {
        balancer(route(Duration.ofSeconds(10), A, B, C)).pick(ALICE);
        Route longer = route(Duration.ofSeconds(100), A, B, C);

        affinities.retain(List.of(longer));
        now.addAndGet(Duration.ofSeconds(50).toNanos());

        assertThat(balancer(longer).pick(ALICE)).isEqualTo(A);
        assertThat(counters.affinityHits()).isEqualTo(1);
    }

    @Test
    void retain_timeoutShortened_expiresClientsIdleLongerThanTheNewTimeout() {
        LoadBalancer balancer = balancer(route(Duration.ofHours(3), A, B, C));
        balancer.pick(ALICE);
        now.addAndGet(Duration.ofSeconds(20).toNanos());
        balancer.pick(BOB);
        now.addAndGet(Duration.ofSeconds(5).toNanos());

        affinities.retain(List.of(route(Duration.ofSeconds(10), A, B, C)));

        assertThat(affinities.endpointOf(WEB, ALICE)).isNull();
        assertThat(affinities.endpointOf(WEB, BOB)).isEqualTo(B);
        now.addAndGet(Duration.ofSeconds(6).toNanos());
        assertThat(affinities.size()).isZero();
    }
}
