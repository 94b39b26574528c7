package io.userspaceproxy.core.balance;

import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.IpAddresses;
import io.userspaceproxy.core.model.OutlierDetection;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.model.SessionAffinity;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Passive outlier ejection on a clock the test moves: {@code consecutive} failures eject, picks go around the
 * ejected endpoint until its time is up, repeat ejections double up to the cap, one success clears the record,
 * at most {@code maxPercent} are out at once, and affinity moves off an ejected endpoint.
 */
class OutlierAwareBalancerTest {

    private static final ServicePortName WEB = new ServicePortName("default", "web", "http", Protocol.TCP);
    private static final InetAddress CLIENT = IpAddresses.parse("192.0.2.7");
    private static final Endpoint E1 = Endpoint.of("10.0.0.1", 8080);
    private static final Endpoint E2 = Endpoint.of("10.0.0.2", 8080);
    private static final Endpoint E3 = Endpoint.of("10.0.0.3", 8080);
    private static final Endpoint E4 = Endpoint.of("10.0.0.4", 8080);
    private static final OutlierDetection DETECTION = new OutlierDetection(3, Duration.ofSeconds(10), 50);

    private final ManualClock clock = new ManualClock();
    private final OutlierTable outliers = OutlierTable.withClock(clock, clock);
    private final ProxyCounters counters = new ProxyCounters();
    private final BalancerFactory factory = BalancerFactory.of(AffinityTable.create(), outliers, counters);

    private LoadBalancer balancer(SessionAffinity affinity, Endpoint... endpoints) {
        return factory.create(Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(endpoints)).withAffinity(affinity)
                .withOutlierDetection(DETECTION));
    }

    private static List<Endpoint> picks(LoadBalancer balancer, int n) {
        return Picks.of(balancer, CLIENT, n);
    }

    private static void fail(LoadBalancer balancer, Endpoint endpoint, int times) {
        for (int i = 0; i < times; i++) {
            balancer.onConnectFailed(endpoint);
        }
    }

    /** Equal endpoints, not the same instances: what a sync that converts the slice again hands over. */
    private static List<Endpoint> copies(Endpoint... endpoints) {
        return Arrays.stream(endpoints).map(e -> new Endpoint(e.address())).toList();
    }

    private void advance(Duration d) {
        clock.advance(d);
    }

    @Test
    void nothingEjected_picksAsTheWrappedBalancer() {
        LoadBalancer b = balancer(SessionAffinity.NONE, E1, E2, E3);

        assertThat(picks(b, 4)).containsExactly(E1, E2, E3, E1);
    }

    @Test
    void threeFailuresInARow_ejectForTheBaseTime_thenTheEndpointIsPickedAgain() {
        LoadBalancer b = balancer(SessionAffinity.NONE, E1, E2, E3);
        fail(b, E2, 2);
        assertThat(picks(b, 3)).as("two failures are not yet an outlier").contains(E2);

        fail(b, E2, 1);

        assertThat(picks(b, 6)).doesNotContain(E2).contains(E1, E3);
        assertThat(counters.forServicePort(WEB).outlierEjections()).isEqualTo(1);
        advance(Duration.ofSeconds(10));
        assertThat(picks(b, 3)).as("its time is up: real traffic again").contains(E2);
    }

    @Test
    void repeatEjections_double_untilOneSuccessClearsTheRecord() {
        LoadBalancer b = balancer(SessionAffinity.NONE, E1, E2, E3, E4);
        fail(b, E1, 3);
        advance(Duration.ofSeconds(10));
        fail(b, E1, 3);

        advance(Duration.ofSeconds(19));
        assertThat(picks(b, 8)).as("the second ejection lasts 20 s").doesNotContain(E1);
        advance(Duration.ofSeconds(1));
        b.onConnected(E1);
        fail(b, E1, 3);
        advance(Duration.ofSeconds(10));

        assertThat(picks(b, 4)).as("after a success, back to the base time").contains(E1);
        assertThat(DETECTION.ejectionNanos(20)).isEqualTo(OutlierDetection.MAX_EJECTION.toNanos());
    }

    @Test
    void neverMoreThanMaxPercentOut_theNextFailingEndpointStaysIn() {
        LoadBalancer b = balancer(SessionAffinity.NONE, E1, E2, E3, E4);

        fail(b, E1, 3);
        fail(b, E2, 3);
        fail(b, E3, 3);

        ServicePortCounters web = counters.forServicePort(WEB);
        assertThat(web.outlierEjections()).as("half of four").isEqualTo(2);
        assertThat(picks(b, 8)).containsOnly(E3, E4);
    }

    @Test
    void clientIpAffinity_onAnEjectedEndpoint_movesToAnotherAndStaysThere() {
        LoadBalancer b = balancer(SessionAffinity.clientIp(Duration.ofMinutes(5)), E1, E2);
        Endpoint affine = b.pick(CLIENT);

        fail(b, affine, 3);

        Endpoint moved = b.pick(CLIENT);
        assertThat(moved).isNotEqualTo(affine);
        assertThat(picks(b, 3)).containsOnly(moved);
    }

    @Test
    void off_failuresNeverEject() {
        LoadBalancer b = factory.create(Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(E1, E2))
                .withOutlierDetection(OutlierDetection.OFF));

        fail(b, E1, 10);

        assertThat(picks(b, 2)).containsExactly(E1, E2);
    }

    @Test
    void retain_endpointThatLeftAndCameBack_startsWithACleanRecord() {
        Route route = Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(E1, E2)).withOutlierDetection(DETECTION);
        LoadBalancer b = factory.create(route);
        fail(b, E1, 2);

        outliers.retain(WEB, List.of(route.withEndpoints(List.of(E2))));
        fail(b, E1, 1);

        assertThat(picks(b, 2)).contains(E1);
    }

    @Test
    void routeRebuiltWithEqualEndpoints_theEjectedOneStaysOutOfThePicks() {
        LoadBalancer b = balancer(SessionAffinity.NONE, E1, E2, E3);
        fail(b, E2, 3);

        LoadBalancer rebuilt = b.withEndpoints(copies(E1, E2, E3));

        assertThat(picks(rebuilt, 6)).doesNotContain(E2).hasSize(6);
    }

    @Test
    void clientIpAffinity_heldOnAnEarlierRoutesInstance_isMovedOffTheEjectedEndpoint() {
        LoadBalancer b = balancer(SessionAffinity.clientIp(Duration.ofMinutes(5)), E1, E2);
        Endpoint affine = b.pick(CLIENT);
        LoadBalancer rebuilt = b.withEndpoints(copies(E1, E2));
        assertThat(rebuilt.pick(CLIENT)).as("the held endpoint, as the new route's instance").isEqualTo(affine)
                .isIn(rebuilt.endpoints().toArray());

        fail(rebuilt, affine, 3);

        assertThat(picks(rebuilt, 3)).doesNotContain(affine);
    }

    @Test
    void ejectionEnds_onItsTimer_withoutAPickToNoticeIt() {
        LoadBalancer b = balancer(SessionAffinity.NONE, E1, E2, E3);
        fail(b, E2, 3);
        EndpointOutliers records = outliers.forServicePort(WEB);
        assertThat(records.out()).containsExactly(E2);

        advance(Duration.ofSeconds(10));

        assertThat(records.out()).isEmpty();
        assertThat(clock.pending()).isZero();
    }
}
