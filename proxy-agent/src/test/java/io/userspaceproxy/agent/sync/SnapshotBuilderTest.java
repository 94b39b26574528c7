package io.userspaceproxy.agent.sync;

import static io.userspaceproxy.agent.sync.Fixtures.NODE_A;
import static io.userspaceproxy.agent.sync.Fixtures.cond;
import static io.userspaceproxy.agent.sync.Fixtures.hinted;
import static io.userspaceproxy.agent.sync.Fixtures.ips;
import static io.userspaceproxy.agent.sync.Fixtures.nodeHinted;
import static io.userspaceproxy.agent.sync.Fixtures.on;
import static io.userspaceproxy.agent.sync.Fixtures.ready;
import static io.userspaceproxy.agent.sync.Fixtures.ref;
import static io.userspaceproxy.agent.sync.Fixtures.render;
import static io.userspaceproxy.agent.sync.Fixtures.slice;
import static io.userspaceproxy.agent.sync.Fixtures.state;
import static io.userspaceproxy.agent.sync.Fixtures.svc;
import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.agent.state.EndpointPortInfo;
import io.userspaceproxy.agent.state.EndpointSliceInfo;
import io.userspaceproxy.agent.state.ServiceInfo;
import io.userspaceproxy.agent.state.ServicePortInfo;
import io.userspaceproxy.agent.state.ServiceType;
import io.userspaceproxy.agent.state.TrafficPolicy;
import io.userspaceproxy.core.model.Protocol;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Which listeners a cluster state produces and which endpoints each relays to, one named scenario per rule.
 * Routes' other fields (affinity, timeouts, ranges), conflicts and determinism are in {@link SnapshotRoutesTest}.
 */
class SnapshotBuilderTest {

    record Scenario(String name, List<ServiceInfo> services, List<EndpointSliceInfo> slices, NodeContext node,
            Map<String, List<String>> expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Scenario scenario(String name, ServiceInfo service, List<EndpointSliceInfo> slices,
            Map<String, List<String>> expected) {
        return new Scenario(name, List.of(service), slices, NODE_A, expected);
    }

    private static final String VIP = "TCP 127.0.10.1:80";
    private static final String NODE_PORT = "TCP 127.0.0.1:30080";

    static Stream<Scenario> scenarios() {
        ServiceInfo echo = svc("echo", "127.0.10.1", 80).build();
        ServiceInfo nodePort = svc("echo", "127.0.10.1", 80).type(ServiceType.NODE_PORT)
                .ports(List.of(ServicePortInfo.of("http", Protocol.TCP, 80).withNodePort(30080))).build();
        ServiceInfo preferClose = svc("echo", "127.0.10.1", 80).trafficDistribution("PreferClose").build();
        ServiceInfo sameNode = svc("echo", "127.0.10.1", 80).trafficDistribution("PreferSameNode").build();
        return Stream.of(
                scenario("ready endpoints only; an absent ready condition counts as ready", echo,
                        List.of(slice("s", "echo", 8080, cond("127.0.0.1", true, null, null),
                                cond("127.0.0.2", false, null, null), cond("127.0.0.3", null, null, null))),
                        Map.of(VIP, List.of("127.0.0.1:8080", "127.0.0.3:8080"))),
                scenario("nothing ready: the serving and terminating endpoints", echo,
                        List.of(slice("s", "echo", 8080, cond("127.0.0.1", false, true, true),
                                cond("127.0.0.2", false, false, true), cond("127.0.0.3", false, true, false),
                                cond("127.0.0.4", false, null, true))),
                        Map.of(VIP, List.of("127.0.0.1:8080"))),
                scenario("some ready: terminating endpoints are not used", echo,
                        List.of(slice("s", "echo", 8080, cond("127.0.0.1", false, true, true), ready("127.0.0.2"))),
                        Map.of(VIP, List.of("127.0.0.2:8080"))),
                scenario("nothing usable: the listener stays, with no endpoints", echo,
                        List.of(slice("s", "echo", 8080, cond("127.0.0.1", false, false, true))),
                        Map.of(VIP, List.of())),
                scenario("no slices at all: the listener stays, with no endpoints", echo, List.of(),
                        Map.of(VIP, List.of())),
                scenario("slice ports are matched to Service ports by name",
                        svc("echo", "127.0.10.1", 80).port(ServicePortInfo.of("metrics", Protocol.TCP, 9090)).build(),
                        List.of(slice("s", "echo", List.of(EndpointPortInfo.of("metrics", Protocol.TCP, 9100),
                                EndpointPortInfo.of("http", Protocol.TCP, 8080)), ready("127.0.0.1"))),
                        Map.of(VIP, List.of("127.0.0.1:8080"), "TCP 127.0.10.1:9090", List.of("127.0.0.1:9100"))),
                scenario("a slice port of another protocol does not match",
                        svc("dns", "127.0.10.1", 53).ports(List.of(ServicePortInfo.of("dns", Protocol.UDP, 53))).build(),
                        List.of(slice("s", "dns", List.of(EndpointPortInfo.of("dns", Protocol.TCP, 5353)),
                                ready("127.0.0.1"))),
                        Map.of("UDP 127.0.10.1:53", List.of())),
                scenario("an unnamed port matches the unnamed slice port",
                        svc("hello", "127.0.10.2", 80).ports(List.of(ServicePortInfo.of("", Protocol.TCP, 80))).build(),
                        List.of(slice("h", "hello", List.of(EndpointPortInfo.of("", Protocol.TCP, 18084)),
                                ready("127.0.0.1"))),
                        Map.of("TCP 127.0.10.2:80", List.of("127.0.0.1:18084"))),
                scenario("slices of other Services are not used", echo,
                        List.of(slice("o", "other", 9999, ready("127.0.0.9")), slice("s", "echo", 8080, ready("127.0.0.1"))),
                        Map.of(VIP, List.of("127.0.0.1:8080"))),
                scenario("dual-stack: each ClusterIP gets endpoints of its own family",
                        svc("echo", "127.0.10.1", 80).clusterIPs(ips("127.0.10.1", "fd00::10")).build(),
                        List.of(slice("s4", "echo", 8080, ready("127.0.0.1")),
                                slice("s6", "echo", 8080, ready("fd00::1"))),
                        Map.of(VIP, List.of("127.0.0.1:8080"), "TCP [fd00::10]:80", List.of("[fd00::1]:8080"))),
                scenario("an endpoint listed in two slices is used once", echo,
                        List.of(slice("a", "echo", 8080, ready("127.0.0.1"), ready("127.0.0.2")),
                                slice("b", "echo", 8080, ready("127.0.0.2"), ready("127.0.0.3"))),
                        Map.of(VIP, List.of("127.0.0.1:8080", "127.0.0.2:8080", "127.0.0.3:8080"))),
                scenario("a duplicate that is ready in one slice counts as ready", echo,
                        List.of(slice("a", "echo", 8080, cond("127.0.0.1", false, false, false)),
                                slice("b", "echo", 8080, ready("127.0.0.1"))),
                        Map.of(VIP, List.of("127.0.0.1:8080"))),
                scenario("endpoints are ordered by address, numerically", echo,
                        List.of(slice("z", "echo", 8080, ready("127.0.0.10"), ready("127.0.0.2")),
                                slice("a", "echo", 8080, ready("127.0.0.3"), ready("127.0.0.1"))),
                        Map.of(VIP, List.of("127.0.0.1:8080", "127.0.0.2:8080", "127.0.0.3:8080", "127.0.0.10:8080"))),
                scenario("a headless Service gets no listener",
                        svc("db", "127.0.10.1", 80).clusterIPs(List.of()).build(),
                        List.of(slice("s", "db", 8080, ready("127.0.0.1"))), Map.of()),
                scenario("an ExternalName Service gets no listener",
                        svc("ext", "127.0.10.1", 80).type(ServiceType.EXTERNAL_NAME).build(), List.of(), Map.of()),
                scenario("NodePort: a listener on every node address", nodePort,
                        List.of(slice("s", "echo", 8080, ready("127.0.0.1"))),
                        Map.of(VIP, List.of("127.0.0.1:8080"), NODE_PORT, List.of("127.0.0.1:8080"))),
                scenario("a ClusterIP Service gets no NodePort even with a nodePort number",
                        svc("echo", "127.0.10.1", 80)
                                .ports(List.of(ServicePortInfo.of("http", Protocol.TCP, 80).withNodePort(30080))).build(),
                        List.of(), Map.of(VIP, List.of())),
                scenario("LoadBalancer: listeners on external IPs and ingress IPs too",
                        svc("echo", "127.0.10.1", 80).type(ServiceType.LOAD_BALANCER)
                                .externalIPs(ips("127.0.20.1")).loadBalancerIngressIPs(ips("127.0.30.1")).build(),
                        List.of(slice("s", "echo", 8080, ready("127.0.0.1"))),
                        Map.of(VIP, List.of("127.0.0.1:8080"), "TCP 127.0.20.1:80", List.of("127.0.0.1:8080"),
                                "TCP 127.0.30.1:80", List.of("127.0.0.1:8080"))),
                scenario("ingress IPs are served for LoadBalancer Services only",
                        svc("echo", "127.0.10.1", 80).loadBalancerIngressIPs(ips("127.0.30.1")).build(),
                        List.of(), Map.of(VIP, List.of())),
                scenario("internalTrafficPolicy Local: ClusterIP gets local endpoints, NodePort all",
                        nodePort.toBuilder().internalTrafficPolicy(TrafficPolicy.LOCAL).build(),
                        List.of(slice("s", "echo", 8080, on("node-b", "127.0.0.2"), on("node-a", "127.0.0.1"))),
                        Map.of(VIP, List.of("127.0.0.1:8080"), NODE_PORT, List.of("127.0.0.1:8080", "127.0.0.2:8080"))),
                scenario("externalTrafficPolicy Local: NodePort gets local endpoints, ClusterIP all",
                        nodePort.toBuilder().externalTrafficPolicy(TrafficPolicy.LOCAL).build(),
                        List.of(slice("s", "echo", 8080, on("node-b", "127.0.0.2"), on("node-a", "127.0.0.1"))),
                        Map.of(VIP, List.of("127.0.0.1:8080", "127.0.0.2:8080"), NODE_PORT, List.of("127.0.0.1:8080"))),
                scenario("Local with no ready local endpoint: the local serving-terminating ones, not remote ones",
                        echo.toBuilder().internalTrafficPolicy(TrafficPolicy.LOCAL).build(),
                        List.of(slice("s", "echo", 8080, on("node-b", "127.0.0.2"),
                                on("node-a", "127.0.0.1").withConditions(false, true, true))),
                        Map.of(VIP, List.of("127.0.0.1:8080"))),
                scenario("Local with no local endpoint: none",
                        echo.toBuilder().internalTrafficPolicy(TrafficPolicy.LOCAL).build(),
                        List.of(slice("s", "echo", 8080, on("node-b", "127.0.0.2"), ready("127.0.0.3"))),
                        Map.of(VIP, List.of())),
                scenario("topology: every endpoint hinted and one for this zone: only this zone's", preferClose,
                        List.of(slice("s", "echo", 8080, hinted("127.0.0.1", "zone-a"), hinted("127.0.0.2", "zone-b"),
                                hinted("127.0.0.3", "zone-b", "zone-a"))),
                        Map.of(VIP, List.of("127.0.0.1:8080", "127.0.0.3:8080"))),
                scenario("topology: a not-ready endpoint without hints does not disable hints", preferClose,
                        List.of(slice("s", "echo", 8080, hinted("127.0.0.1", "zone-a"), hinted("127.0.0.2", "zone-b"),
                                cond("127.0.0.3", false, false, false))),
                        Map.of(VIP, List.of("127.0.0.1:8080"))),
                scenario("topology: one ready endpoint without hints: all endpoints", preferClose,
                        List.of(slice("s", "echo", 8080, hinted("127.0.0.1", "zone-a"), ready("127.0.0.2"))),
                        Map.of(VIP, List.of("127.0.0.1:8080", "127.0.0.2:8080"))),
                scenario("topology: no hint for this zone: all endpoints", preferClose,
                        List.of(slice("s", "echo", 8080, hinted("127.0.0.1", "zone-b"), hinted("127.0.0.2", "zone-c"))),
                        Map.of(VIP, List.of("127.0.0.1:8080", "127.0.0.2:8080"))),
                scenario("topology: the hints decide, whatever the Service says (kube-proxy 1.33+)", echo,
                        List.of(slice("s", "echo", 8080, hinted("127.0.0.1", "zone-a"), hinted("127.0.0.2", "zone-b"))),
                        Map.of(VIP, List.of("127.0.0.1:8080"))),
                scenario("PreferSameNode: every endpoint node-hinted, one for this node: only that one", sameNode,
                        List.of(slice("s", "echo", 8080, nodeHinted("127.0.0.1", "zone-a", "node-a"),
                                nodeHinted("127.0.0.2", "zone-a", "node-b"), nodeHinted("127.0.0.3", "zone-b", "node-c"))),
                        Map.of(VIP, List.of("127.0.0.1:8080"))),
                scenario("PreferSameNode: no node hint for this node: the zone's hints decide", sameNode,
                        List.of(slice("s", "echo", 8080, nodeHinted("127.0.0.1", "zone-a", "node-b"),
                                nodeHinted("127.0.0.2", "zone-a", "node-b"), nodeHinted("127.0.0.3", "zone-b", "node-c"))),
                        Map.of(VIP, List.of("127.0.0.1:8080", "127.0.0.2:8080"))),
                scenario("PreferSameNode: one ready endpoint without a node hint: the zone's hints decide", sameNode,
                        List.of(slice("s", "echo", 8080, nodeHinted("127.0.0.1", "zone-a", "node-a"),
                                nodeHinted("127.0.0.2", "zone-a"), nodeHinted("127.0.0.3", "zone-b", "node-c"))),
                        Map.of(VIP, List.of("127.0.0.1:8080", "127.0.0.2:8080"))),
                scenario("PreferSameNode: neither node nor zone hints apply: all endpoints", sameNode,
                        List.of(slice("s", "echo", 8080, nodeHinted("127.0.0.1", "zone-b", "node-b"),
                                nodeHinted("127.0.0.2", null, "node-c"))),
                        Map.of(VIP, List.of("127.0.0.1:8080", "127.0.0.2:8080"))),
                scenario("PreferSameNode: a not-ready endpoint without hints does not disable them", sameNode,
                        List.of(slice("s", "echo", 8080, nodeHinted("127.0.0.1", "zone-a", "node-a"),
                                nodeHinted("127.0.0.2", "zone-a", "node-b"), cond("127.0.0.3", false, false, false))),
                        Map.of(VIP, List.of("127.0.0.1:8080"))),
                scenario("PreferSameNode: internalTrafficPolicy Local wins: this node's endpoints, hints unread",
                        sameNode.toBuilder().internalTrafficPolicy(TrafficPolicy.LOCAL).build(),
                        List.of(slice("s", "echo", 8080, nodeHinted("127.0.0.1", "zone-a", "node-b").withConditions(
                                true, true, false), on("node-a", "127.0.0.2").withNodeHints(List.of("node-b")))),
                        Map.of(VIP, List.of("127.0.0.2:8080"))),
                scenario("topology: the topology-mode Auto annotation asks for them",
                        echo.toBuilder().topologyMode("Auto").build(),
                        List.of(slice("s", "echo", 8080, hinted("127.0.0.1", "zone-a"), hinted("127.0.0.2", "zone-b"))),
                        Map.of(VIP, List.of("127.0.0.1:8080"))),
                new Scenario("topology: a node without a zone uses all endpoints", List.of(preferClose),
                        List.of(slice("s", "echo", 8080, hinted("127.0.0.1", "zone-a"), hinted("127.0.0.2", "zone-b"))),
                        new NodeContext("node-a", null, List.of()),
                        Map.of(VIP, List.of("127.0.0.1:8080", "127.0.0.2:8080"))),
                scenario("topology: not applied on the terminating fallback", preferClose,
                        List.of(slice("s", "echo", 8080,
                                hinted("127.0.0.1", "zone-a").withConditions(false, true, true),
                                hinted("127.0.0.2", "zone-b").withConditions(false, true, true))),
                        Map.of(VIP, List.of("127.0.0.1:8080", "127.0.0.2:8080"))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void build_scenario_givesExpectedListenersAndEndpoints(Scenario s) {
        ClusterState state = state(s.services(), s.slices());
        ClusterState copy = new ClusterState(state.services(), state.slicesByService(), 0, 0);

        BuildResult result = new SnapshotBuilder(Duration.ofSeconds(1)).build(state, s.node());

        assertThat(render(result.snapshot())).isEqualTo(s.expected());
        assertThat(result.problems()).isEmpty();
        assertThat(state.services()).as("input not modified").isEqualTo(copy.services());
        assertThat(state.slicesByService()).as("input not modified").isEqualTo(copy.slicesByService());
        assertThat(state.services().get(ref(s.services().get(0).ref().name()))).isEqualTo(s.services().get(0));
    }
}
