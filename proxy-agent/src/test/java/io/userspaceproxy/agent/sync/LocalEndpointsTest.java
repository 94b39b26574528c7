package io.userspaceproxy.agent.sync;

import static io.userspaceproxy.agent.sync.Fixtures.on;
import static io.userspaceproxy.agent.sync.Fixtures.ref;
import static io.userspaceproxy.agent.sync.Fixtures.slice;
import static io.userspaceproxy.agent.sync.Fixtures.state;
import static io.userspaceproxy.agent.sync.Fixtures.svc;
import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.agent.state.EndpointPortInfo;
import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.agent.state.ServiceInfo;
import io.userspaceproxy.agent.state.ServiceType;
import io.userspaceproxy.agent.state.TrafficPolicy;
import io.userspaceproxy.core.model.Protocol;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LocalEndpointsTest {

    private static ServiceInfo.Builder localLb(String name, int healthCheckNodePort) {
        return svc(name, "10.96.0.1", 80).type(ServiceType.LOAD_BALANCER)
                .externalTrafficPolicy(TrafficPolicy.LOCAL).healthCheckNodePort(healthCheckNodePort);
    }

    @Test
    void healthCheckNodePorts_onlyLoadBalancersWithLocalPolicyAndAPort() {
        ClusterState state = state(List.of(
                localLb("web", 30001).build(),
                localLb("cluster-policy", 30002).externalTrafficPolicy(TrafficPolicy.CLUSTER).build(),
                localLb("node-port", 30003).type(ServiceType.NODE_PORT).build(),
                localLb("no-port", 0).build(),
                localLb("headless", 30005).clusterIPs(List.of()).build(),
                localLb("portless", 30006).ports(List.of()).build()), List.of());

        assertThat(LocalEndpoints.healthCheckNodePorts(state)).containsExactly(Map.entry(ref("web"), 30001));
    }

    @Test
    void readyOnNode_countsDistinctReadyEndpointsOfThisNodeAcrossSlicesAndPorts() {
        ClusterState state = state(List.of(localLb("web", 30001).build(), localLb("other", 30002).build()), List.of(
                slice("web-1", "web", List.of(EndpointPortInfo.of("http", Protocol.TCP, 8080),
                        EndpointPortInfo.of("admin", Protocol.TCP, 9090)),
                        on("node-a", "10.1.0.1"), on("node-b", "10.1.0.2"),
                        on("node-a", "10.1.0.3").withConditions(false, true, true)),
                slice("web-2", "web", 8080, on("node-a", "10.1.0.1"), on("node-a", "10.1.0.4")),
                slice("other-1", "other", 8080, on("node-b", "10.1.0.9"))));

        Map<ObjectRef, Integer> counts =
                LocalEndpoints.readyOnNode(state, Set.of(ref("web"), ref("other"), ref("gone")), "node-a");

        // web: 10.1.0.1:8080, 10.1.0.1:9090 (slice 1), 10.1.0.1:8080 again (slice 2, same), 10.1.0.4:8080
        assertThat(counts).containsExactlyInAnyOrderEntriesOf(Map.of(ref("web"), 3, ref("other"), 0, ref("gone"), 0));
    }

    @Test
    void noLocalEndpoints_localPoliciesWithoutAReadyEndpointHere_areCountedPerPolicy() {
        ClusterState state = state(List.of(
                localLb("served-here", 30001).build(),
                localLb("elsewhere", 30002).build(),
                localLb("internal-only", 30003).type(ServiceType.CLUSTER_IP).externalTrafficPolicy(TrafficPolicy.CLUSTER)
                        .internalTrafficPolicy(TrafficPolicy.LOCAL).build(),
                localLb("cluster-policies", 30004).externalTrafficPolicy(TrafficPolicy.CLUSTER).build()), List.of(
                slice("served-here-1", "served-here", 8080, on("node-a", "10.1.0.1")),
                slice("elsewhere-1", "elsewhere", 8080, on("node-b", "10.1.0.2"))));

        LocalEndpoints.NoLocalEndpoints counts = LocalEndpoints.noLocalEndpoints(state, "node-a");

        // "elsewhere" (external Local, its only endpoint on node-b) and "internal-only" (no endpoint at all).
        assertThat(counts).isEqualTo(new LocalEndpoints.NoLocalEndpoints(1, 1));
    }

    @Test
    void readyOnNode_terminatingOnly_countsNone() {
        ClusterState state = state(List.of(localLb("web", 30001).build()), List.of(
                slice("web-1", "web", 8080, on("node-a", "10.1.0.1").withConditions(false, true, true))));

        assertThat(LocalEndpoints.readyOnNode(state, Set.of(ref("web")), "node-a")).containsEntry(ref("web"), 0);
    }
}
