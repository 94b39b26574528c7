package io.userspaceproxy.agent.sync;

import static io.userspaceproxy.agent.sync.Fixtures.NODE_A;
import static io.userspaceproxy.agent.sync.Fixtures.ips;
import static io.userspaceproxy.agent.sync.Fixtures.ready;
import static io.userspaceproxy.agent.sync.Fixtures.slice;
import static io.userspaceproxy.agent.sync.Fixtures.state;
import static io.userspaceproxy.agent.sync.Fixtures.svc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.userspaceproxy.agent.state.EndpointSliceInfo;
import io.userspaceproxy.agent.state.ServiceInfo;
import io.userspaceproxy.agent.state.ServicePortInfo;
import io.userspaceproxy.agent.state.ServiceType;
import io.userspaceproxy.core.model.Cidr;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.model.SessionAffinity;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Route options, listener conflicts, counts and determinism of {@link SnapshotBuilder}. */
class SnapshotRoutesTest {

    private static final Duration DEFAULT_UDP = Duration.ofSeconds(3);
    private final SnapshotBuilder builder = new SnapshotBuilder(DEFAULT_UDP);

    private static ListenerKey key(Protocol protocol, String ip, int port) {
        return ListenerKey.of(protocol, new InetSocketAddress(Fixtures.ip(ip), port));
    }

    private static ServiceInfo nodePortService(String name, String clusterIP) {
        return svc(name, clusterIP, 80).type(ServiceType.NODE_PORT)
                .ports(List.of(ServicePortInfo.of("http", Protocol.TCP, 80).withNodePort(30080))).build();
    }

    @Test
    void build_loadBalancerService_setsFrontendKindsAndSourceRangesOnlyOnIngress() {
        ServiceInfo lb = svc("web", "127.0.10.1", 80).type(ServiceType.LOAD_BALANCER)
                .ports(List.of(ServicePortInfo.of("http", Protocol.TCP, 80).withNodePort(30080)))
                .externalIPs(ips("127.0.20.1")).loadBalancerIngressIPs(ips("127.0.30.1"))
                .loadBalancerSourceRanges(List.of(Cidr.parse("127.0.0.0/8"))).build();

        Map<ListenerKey, Route> routes = builder.build(state(List.of(lb), List.of()), NODE_A).snapshot().routes();

        assertThat(routes.get(key(Protocol.TCP, "127.0.10.1", 80)).frontend()).isEqualTo(FrontendKind.CLUSTER_IP);
        assertThat(routes.get(key(Protocol.TCP, "127.0.0.1", 30080)).frontend()).isEqualTo(FrontendKind.NODE_PORT);
        assertThat(routes.get(key(Protocol.TCP, "127.0.20.1", 80)).frontend()).isEqualTo(FrontendKind.EXTERNAL_IP);
        Route ingress = routes.get(key(Protocol.TCP, "127.0.30.1", 80));
        assertThat(ingress.frontend()).isEqualTo(FrontendKind.LOAD_BALANCER);
        assertThat(ingress.sourceRanges()).containsExactly(Cidr.parse("127.0.0.0/8"));
        assertThat(routes.values()).filteredOn(r -> r.frontend() != FrontendKind.LOAD_BALANCER)
                .allSatisfy(r -> assertThat(r.sourceRanges()).isEmpty());
    }

    @Test
    void build_affinityAndUdpTimeout_areCarriedIntoEveryRoute() {
        ServiceInfo dns = svc("dns", "127.0.10.3", 53).type(ServiceType.NODE_PORT)
                .ports(List.of(ServicePortInfo.of("dns", Protocol.UDP, 53).withNodePort(30053)))
                .sessionAffinity(SessionAffinity.clientIp(Duration.ofSeconds(60)))
                .udpTimeout(Duration.ofSeconds(5)).build();

        Map<ListenerKey, Route> routes = builder.build(state(List.of(dns), List.of()), NODE_A).snapshot().routes();

        assertThat(routes).hasSize(2);
        assertThat(routes.values()).allSatisfy(r -> {
            assertThat(r.affinity()).isEqualTo(SessionAffinity.clientIp(Duration.ofSeconds(60)));
            assertThat(r.udpIdleTimeout()).isEqualTo(Duration.ofSeconds(5));
            assertThat(r.servicePort()).isEqualTo(new ServicePortName("demo", "dns", "dns", Protocol.UDP));
        });
    }

    @Test
    void build_serviceWithoutUdpTimeout_usesTheBuilderDefault() {
        Route route = builder.build(state(List.of(svc("a", "127.0.10.1", 80).build()), List.of()), NODE_A)
                .snapshot().routes().get(key(Protocol.TCP, "127.0.10.1", 80));

        assertThat(route.udpIdleTimeout()).isEqualTo(DEFAULT_UDP);
        assertThat(route.affinity()).isEqualTo(SessionAffinity.NONE);
    }

    @Test
    void build_duplicateNodePort_keepsServiceSortingFirstAndReportsTheOther() {
        ClusterState state = state(List.of(nodePortService("zeta", "127.0.10.2"), nodePortService("alpha", "127.0.10.1")),
                List.of());

        BuildResult result = builder.build(state, NODE_A);

        assertThat(result.snapshot().routes().get(key(Protocol.TCP, "127.0.0.1", 30080)).servicePort().name())
                .isEqualTo("alpha");
        assertThat(result.problems()).containsExactly("listener TCP 127.0.0.1:30080 is wanted by more than one"
                + " service port: serving demo/alpha:http (NODE_PORT, first by name), ignoring demo/zeta:http (NODE_PORT)");
        assertThat(result.counts().conflicts()).isEqualTo(1);
        assertThat(result.snapshot().routes()).containsKey(key(Protocol.TCP, "127.0.10.2", 80));
    }

    @Test
    void build_duplicateNodePort_keepsTheServiceThatAlreadyHeldIt() {
        ClusterState before = state(List.of(nodePortService("zeta", "127.0.10.2")), List.of());
        BuildResult first = builder.build(before, NODE_A);
        ClusterState after = state(List.of(nodePortService("zeta", "127.0.10.2"), nodePortService("alpha", "127.0.10.1")),
                List.of());

        BuildResult second = builder.build(after, NODE_A, first.snapshot());

        assertThat(second.snapshot().routes().get(key(Protocol.TCP, "127.0.0.1", 30080)).servicePort().name())
                .isEqualTo("zeta");
        assertThat(second.problems()).containsExactly("listener TCP 127.0.0.1:30080 is wanted by more than one"
                + " service port: serving demo/zeta:http (NODE_PORT, which already held it), ignoring demo/alpha:http"
                + " (NODE_PORT)");
    }

    @Test
    void build_externalIpEqualToAnotherClusterIP_isAConflict() {
        ServiceInfo a = svc("a", "127.0.10.1", 80).build();
        ServiceInfo b = svc("b", "127.0.10.2", 80).externalIPs(ips("127.0.10.1")).build();

        BuildResult result = builder.build(state(List.of(b, a), List.of()), NODE_A);

        Route kept = result.snapshot().routes().get(key(Protocol.TCP, "127.0.10.1", 80));
        assertThat(kept.servicePort().name()).isEqualTo("a");
        assertThat(kept.frontend()).isEqualTo(FrontendKind.CLUSTER_IP);
        assertThat(result.problems()).singleElement().asString().contains("ignoring demo/b:http (EXTERNAL_IP)");
    }

    @Test
    void build_sameStateInAnyEventOrder_givesEqualSnapshotsInEqualOrder() {
        List<ServiceInfo> services = List.of(svc("b", "127.0.10.2", 80).build(), svc("a", "127.0.10.1", 80).build(),
                nodePortService("c", "127.0.10.3"));
        List<EndpointSliceInfo> slices = List.of(slice("a-2", "a", 8080, ready("127.0.0.3")),
                slice("a-1", "a", 8080, ready("127.0.0.2"), ready("127.0.0.1")), slice("c-1", "c", 9000, ready("127.0.0.5")));
        List<ServiceInfo> reversedServices = new ArrayList<>(services);
        Collections.reverse(reversedServices);
        List<EndpointSliceInfo> reversedSlices = new ArrayList<>(slices);
        Collections.reverse(reversedSlices);

        BuildResult one = builder.build(state(services, slices), NODE_A);
        BuildResult two = builder.build(state(reversedServices, reversedSlices), NODE_A);

        assertThat(two.snapshot()).isEqualTo(one.snapshot());
        assertThat(new ArrayList<>(two.snapshot().routes().keySet()))
                .isEqualTo(new ArrayList<>(one.snapshot().routes().keySet()));
        assertThat(new ArrayList<>(one.snapshot().routes().keySet())).containsExactly(
                key(Protocol.TCP, "127.0.10.1", 80), key(Protocol.TCP, "127.0.10.2", 80),
                key(Protocol.TCP, "127.0.10.3", 80), key(Protocol.TCP, "127.0.0.1", 30080));
    }

    @Test
    void build_counts_describeWhatWasBuilt() {
        ClusterState state = state(List.of(svc("a", "127.0.10.1", 80).build(), nodePortService("b", "127.0.10.2"),
                        svc("headless", "127.0.10.9", 80).clusterIPs(List.of()).build()),
                List.of(slice("a-1", "a", 8080, ready("127.0.0.1"))));

        BuildResult.Counts counts = builder.build(state, NODE_A).counts();

        assertThat(counts).isEqualTo(new BuildResult.Counts(2, 1, 2, 3, 2, 0));
    }

    @Test
    void build_clusterState_cannotBeModifiedByTheBuilder() {
        ClusterState state = state(List.of(svc("a", "127.0.10.1", 80).build()),
                List.of(slice("a-1", "a", 8080, ready("127.0.0.1"))));

        builder.build(state, NODE_A);

        assertThatThrownBy(() -> state.services().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> state.slicesOf(Fixtures.ref("a")).clear())
                .isInstanceOf(UnsupportedOperationException.class);
        assertThat(state.slicesOf(Fixtures.ref("a")).get(0).endpoints()).hasSize(1);
    }

    @Test
    void build_unchangedServiceObjects_handOverTheSameRouteInstancesWhileChangedOnesAreRebuilt() {
        ServiceInfo web = svc("web", "127.0.10.1", 80).build();
        ServiceInfo api = svc("api", "127.0.10.2", 80).build();
        EndpointSliceInfo webSlice = Fixtures.slice("web-1", "web", 80, Fixtures.ready("10.0.0.1"));
        EndpointSliceInfo apiSlice = Fixtures.slice("api-1", "api", 80, Fixtures.ready("10.0.1.1"));
        Map<ListenerKey, Route> first = builder.build(state(List.of(web, api), List.of(webSlice, apiSlice)), NODE_A)
                .snapshot().routes();

        EndpointSliceInfo apiMoved = Fixtures.slice("api-1", "api", 80, Fixtures.ready("10.0.1.2"));
        Map<ListenerKey, Route> second = builder.build(state(List.of(web, api), List.of(webSlice, apiMoved)), NODE_A)
                .snapshot().routes();

        ListenerKey webKey = key(Protocol.TCP, "127.0.10.1", 80);
        ListenerKey apiKey = key(Protocol.TCP, "127.0.10.2", 80);
        assertThat(second.get(webKey)).isSameAs(first.get(webKey));
        assertThat(second.get(apiKey)).isNotSameAs(first.get(apiKey));
        assertThat(second.get(apiKey).endpoints()).extracting(Object::toString).containsExactly("10.0.1.2:80");
        // Equal but rebuilt inputs (a new object for the same Service) are computed afresh, never trusted blindly.
        ServiceInfo webCopy = svc("web", "127.0.10.1", 80).build();
        Map<ListenerKey, Route> third = builder.build(state(List.of(webCopy, api), List.of(webSlice, apiMoved)),
                NODE_A).snapshot().routes();
        assertThat(third.get(webKey)).isNotSameAs(first.get(webKey)).isEqualTo(first.get(webKey));
    }
}
