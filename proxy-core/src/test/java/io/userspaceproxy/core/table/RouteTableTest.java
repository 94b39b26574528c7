package io.userspaceproxy.core.table;

import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.balance.LoadBalancer;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.model.Cidr;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteChanges;
import io.userspaceproxy.core.model.RouteSnapshot;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.model.SessionAffinity;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Applying changes to the table of route slots: which listeners a change binds, which it closes, and which keep their
 * socket and only swap the route in their slot; and that a change costs only what it names.
 */
class RouteTableTest {

    private static final ServicePortName WEB = new ServicePortName("default", "web", "http", Protocol.TCP);
    private static final ListenerKey VIP = key(Protocol.TCP, "127.0.10.1", 80);
    private static final ListenerKey VIP_OTHER_PORT = key(Protocol.TCP, "127.0.10.1", 8080);
    private static final ListenerKey VIP_UDP = key(Protocol.UDP, "127.0.10.1", 80);
    private static final Endpoint E1 = Endpoint.of("10.0.0.1", 8080);
    private static final Endpoint E2 = Endpoint.of("10.0.0.2", 8080);
    private static final Endpoint E3 = Endpoint.of("10.0.0.3", 8080);
    private static final Route ROUTE = Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(E1, E2));

    private final ProxyCounters counters = new ProxyCounters();

    private static ListenerKey key(Protocol protocol, String ip, int port) {
        return ListenerKey.of(protocol, new InetSocketAddress(ip, port));
    }

    private static RouteSnapshot snapshot(Object... keysAndRoutes) {
        Map<ListenerKey, Route> routes = new LinkedHashMap<>();
        for (int i = 0; i < keysAndRoutes.length; i += 2) {
            routes.put((ListenerKey) keysAndRoutes[i], (Route) keysAndRoutes[i + 1]);
        }
        return new RouteSnapshot(routes);
    }

    private final RouteTable table = RouteTable.create(BalancerFactory.ROUND_ROBIN, counters);

    static Stream<Arguments> changes() {
        return Stream.of(
                scenario("a new key is bound", snapshot(), snapshot(VIP, ROUTE),
                        Set.of(VIP), Set.of(), Set.of(), 0),
                scenario("a key that left is closed", snapshot(VIP, ROUTE), snapshot(),
                        Set.of(), Set.of(VIP), Set.of(), 0),
                scenario("an identical route touches nothing", snapshot(VIP, ROUTE), snapshot(VIP, ROUTE),
                        Set.of(), Set.of(), Set.of(), 1),
                scenario("new endpoints swap the route, no rebind", snapshot(VIP, ROUTE),
                        snapshot(VIP, ROUTE.withEndpoints(List.of(E2, E3))),
                        Set.of(), Set.of(), Set.of(VIP), 0),
                scenario("losing every endpoint swaps the route, no close", snapshot(VIP, ROUTE),
                        snapshot(VIP, ROUTE.withEndpoints(List.of())),
                        Set.of(), Set.of(), Set.of(VIP), 0),
                scenario("new affinity swaps the route, no rebind", snapshot(VIP, ROUTE),
                        snapshot(VIP, ROUTE.withAffinity(SessionAffinity.clientIp(Duration.ofMinutes(5)))),
                        Set.of(), Set.of(), Set.of(VIP), 0),
                scenario("new source ranges swap the route, no rebind", snapshot(VIP, ROUTE),
                        snapshot(VIP, ROUTE.withSourceRanges(List.of(Cidr.parse("10.0.0.0/8")))),
                        Set.of(), Set.of(), Set.of(VIP), 0),
                scenario("a port change is a new listener", snapshot(VIP, ROUTE), snapshot(VIP_OTHER_PORT, ROUTE),
                        Set.of(VIP_OTHER_PORT), Set.of(VIP), Set.of(), 0),
                scenario("a protocol change is a new listener", snapshot(VIP, ROUTE), snapshot(VIP_UDP, ROUTE),
                        Set.of(VIP_UDP), Set.of(VIP), Set.of(), 0),
                scenario("changes to several keys are told apart",
                        snapshot(VIP, ROUTE, VIP_OTHER_PORT, ROUTE),
                        snapshot(VIP, ROUTE.withEndpoints(List.of(E3)), VIP_UDP, ROUTE),
                        Set.of(VIP_UDP), Set.of(VIP_OTHER_PORT), Set.of(VIP), 0));
    }

    private static Arguments scenario(String name, RouteSnapshot before, RouteSnapshot after, Set<ListenerKey> added,
            Set<ListenerKey> removed, Set<ListenerKey> changed, int unchanged) {
        return Arguments.of(Named.of(name, before), after, added, removed, changed, unchanged);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("changes")
    void apply_snapshotChange_bindsClosesOrSwaps(RouteSnapshot before, RouteSnapshot after, Set<ListenerKey> added,
            Set<ListenerKey> removed, Set<ListenerKey> changed, int unchanged) {
        table.apply(before);

        TableDiff diff = table.apply(after);

        assertThat(diff.added()).isEqualTo(added);
        assertThat(diff.removed()).isEqualTo(removed);
        assertThat(diff.routeChanged()).isEqualTo(changed);
        assertThat(diff.unchanged()).isEqualTo(unchanged);
        assertThat(table.keys()).isEqualTo(after.routes().keySet());
    }

    @Test
    void apply_changes_touchOnlyTheKeysNamed() {
        table.apply(snapshot(VIP, ROUTE, VIP_OTHER_PORT, ROUTE));
        LiveRoute untouched = table.lookup(VIP_OTHER_PORT);
        RouteSlot slot = table.slot(VIP);

        TableDiff diff = table.apply(new RouteChanges(Map.of(VIP, ROUTE.withEndpoints(List.of(E3))), Set.of()));

        assertThat(diff.routeChanged()).containsExactly(VIP);
        assertThat(diff.unchanged()).isEqualTo(1);
        assertThat(diff.servicePorts()).containsExactly(WEB);
        assertThat(table.slot(VIP)).as("the listener keeps its slot").isSameAs(slot);
        assertThat(slot.get().route().endpoints()).containsExactly(E3);
        assertThat(table.lookup(VIP_OTHER_PORT)).isSameAs(untouched);
    }

    @Test
    void apply_removedKey_emptiesItsSlotForConnectionsStillArriving() {
        table.apply(snapshot(VIP, ROUTE));
        RouteSlot slot = table.slot(VIP);

        table.apply(new RouteChanges(Map.of(), Set.of(VIP)));

        assertThat(slot.get()).isNull();
        assertThat(table.slot(VIP)).isNull();
        assertThat(table.hasServicePort(WEB)).isFalse();
        assertThat(table.routesOf(WEB)).isEmpty();
    }

    @Test
    void apply_keyMovesToAnotherServicePort_indexesItThere() {
        ServicePortName api = new ServicePortName("default", "api", "http", Protocol.TCP);
        table.apply(snapshot(VIP, ROUTE));

        TableDiff diff = table.apply(snapshot(VIP, Route.of(api, FrontendKind.CLUSTER_IP, List.of(E3))));

        assertThat(diff.servicePorts()).containsExactlyInAnyOrder(WEB, api);
        assertThat(table.hasServicePort(WEB)).isFalse();
        assertThat(table.routesOf(api)).extracting(Route::endpoints).containsExactly(List.of(E3));
    }

    @Test
    void apply_identicalRoute_keepsTheSameLiveRoute() {
        table.apply(snapshot(VIP, ROUTE));
        LiveRoute before = table.lookup(VIP);

        table.apply(snapshot(VIP, Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(E1, E2))));

        assertThat(table.lookup(VIP)).isSameAs(before);
    }

    @Test
    void apply_endpointsOnlyChange_continuesTheBalancerRotation() {
        table.apply(snapshot(VIP, ROUTE));
        LoadBalancer before = table.lookup(VIP).balancer();
        assertThat(before.pick(null)).isEqualTo(E1);
        assertThat(before.pick(null)).isEqualTo(E2);

        table.apply(snapshot(VIP, ROUTE.withEndpoints(List.of(E1, E2, E3))));

        assertThat(table.lookup(VIP).balancer().endpoints()).containsExactly(E1, E2, E3);
        assertThat(table.lookup(VIP).balancer().pick(null)).as("the third pick, not the first again").isEqualTo(E3);
        assertThat(before.endpoints()).as("the old balancer is unchanged").containsExactly(E1, E2);
    }

    @Test
    void apply_onlyNewRoutesAndNewAffinity_askTheFactory() {
        AtomicInteger created = new AtomicInteger();
        BalancerFactory counting = route -> {
            created.incrementAndGet();
            return LoadBalancer.roundRobin(route.endpoints());
        };
        RouteTable counted = RouteTable.create(counting, counters);
        counted.apply(snapshot(VIP, ROUTE));
        counted.apply(snapshot(VIP, ROUTE.withEndpoints(List.of(E3))));
        assertThat(created).hasValue(1);

        counted.apply(snapshot(VIP, ROUTE.withAffinity(SessionAffinity.clientIp(Duration.ofMinutes(1)))));

        assertThat(created).hasValue(2);
    }

    @Test
    void apply_route_bindsTheCountersOfItsServicePort() {
        table.apply(snapshot(VIP, ROUTE, VIP_OTHER_PORT, ROUTE));

        assertThat(table.lookup(VIP).counters()).isSameAs(counters.forServicePort(WEB));
        assertThat(table.lookup(VIP_OTHER_PORT).counters()).isSameAs(counters.forServicePort(WEB));
    }
}
