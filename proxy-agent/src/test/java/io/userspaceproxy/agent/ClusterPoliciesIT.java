package io.userspaceproxy.agent;

import static io.userspaceproxy.agent.testing.ClusterObjects.NODE;
import static io.userspaceproxy.agent.testing.ClusterObjects.node;
import static io.userspaceproxy.agent.testing.ClusterObjects.ready;
import static io.userspaceproxy.agent.testing.ClusterObjects.service;
import static io.userspaceproxy.agent.testing.ClusterObjects.sliceOf;
import static io.userspaceproxy.agent.testing.Traffic.REFUSED;
import static io.userspaceproxy.agent.testing.Traffic.awaitAnswer;
import static io.userspaceproxy.agent.testing.Traffic.awaitAnswers;
import static io.userspaceproxy.agent.testing.Traffic.whoAnswers;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceStatusBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.userspaceproxy.agent.testing.ClusterAgent;
import io.userspaceproxy.core.model.IpAddresses;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPorts;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Set;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Modern Service semantics through the informer path: traffic policies (the agent runs as {@code node-a}), topology
 * hints against the zone label of the agent's own Node object, and load-balancer source ranges, each observed as
 * which backend answers real connections.
 */
@EnableKubernetesMockClient(crud = true, https = false)
@Timeout(90)
class ClusterPoliciesIT {

    private static final String NS = "shop";

    KubernetesClient client;

    @AutoClose
    private final TcpEchoServer local = new TcpEchoServer("local");
    @AutoClose
    private final TcpEchoServer remote = new TcpEchoServer("remote");
    @AutoClose
    private final TcpEchoServer third = new TcpEchoServer("third");
    @AutoClose
    private ProxyAgent agent;

    @BeforeEach
    void setUp() throws Exception {
        client.nodes().resource(node(NODE, "192.0.2.10", "zone-1")).create();
        agent = ClusterAgent.start(client.getMasterUrl().toString());
    }

    @Test
    void internalTrafficPolicyLocal_clusterIp_onlyThisNodesEndpoints() {
        InetSocketAddress vip = address("127.0.31.1", 8080);
        create(service(NS, "web", "127.0.31.1", 8080).editSpec().withInternalTrafficPolicy("Local").endSpec().build());
        createEndpoints("web");
        awaitAnswers(vip, 6, Set.of("local"));

        create(sliceOf(NS, "web-local", "web", local.address().getPort(), ready("127.0.0.1", "node-c")));
        awaitAnswer(vip, REFUSED);
    }

    @Test
    void externalTrafficPolicyLocal_nodePortLocalOnly_clusterIpEverywhere() {
        InetSocketAddress nodePort = TcpPorts.freeAddress("127.0.0.1");
        create(service(NS, "web", "127.0.31.2", 8080).editSpec().withType("NodePort")
                .withExternalTrafficPolicy("Local").editFirstPort().withNodePort(nodePort.getPort()).endPort()
                .endSpec().build());
        createEndpoints("web");

        awaitAnswers(nodePort, 6, Set.of("local"));
        awaitAnswers(address("127.0.31.2", 8080), 8, Set.of("local", "remote"));
    }

    @Test
    void topologyHints_preferClose_followTheZoneOfThisNodesObject() {
        InetSocketAddress vip = address("127.0.31.3", 8080);
        create(service(NS, "web", "127.0.31.3", 8080).editSpec().withTrafficDistribution("PreferClose").endSpec()
                .build());
        create(sliceOf(NS, "web-1", "web", local.address().getPort(), hinted("node-b", "zone-1")));
        create(sliceOf(NS, "web-2", "web", remote.address().getPort(), hinted("node-c", "zone-2")));
        awaitAnswers(vip, 6, Set.of("local"));

        client.nodes().withName(NODE).edit(n -> {
            n.getMetadata().getLabels().put("topology.kubernetes.io/zone", "zone-2");
            return n;
        });
        awaitAnswers(vip, 6, Set.of("remote"));
    }

    @Test
    void preferSameNode_nodeHints_thisNodesEndpointWhileHinted_thenZone_thenAll() {
        InetSocketAddress vip = address("127.0.31.6", 8080);
        create(service(NS, "web", "127.0.31.6", 8080).editSpec().withTrafficDistribution("PreferSameNode").endSpec()
                .build());
        create(sliceOf(NS, "web-1", "web", local.address().getPort(), nodeHinted(NODE, "zone-1", NODE)));
        create(sliceOf(NS, "web-2", "web", remote.address().getPort(), nodeHinted("node-b", "zone-1", "node-b")));
        create(sliceOf(NS, "web-3", "web", third.address().getPort(), nodeHinted("node-c", "zone-2", "node-c")));
        awaitAnswers(vip, 6, Set.of("local"));

        // The controller moves this node's hint to another endpoint at run time: traffic follows the hint.
        create(sliceOf(NS, "web-1", "web", local.address().getPort(), nodeHinted(NODE, "zone-1", "node-b")));
        create(sliceOf(NS, "web-2", "web", remote.address().getPort(), nodeHinted("node-b", "zone-1", NODE)));
        awaitAnswers(vip, 6, Set.of("remote"));

        // No endpoint hinted for this node any more: the zone's hints decide (both zone-1 endpoints).
        create(sliceOf(NS, "web-2", "web", remote.address().getPort(), nodeHinted("node-b", "zone-1", "node-b")));
        awaitAnswers(vip, 12, Set.of("local", "remote"));

        // One ready endpoint without hints at all: every hint is ignored, all three endpoints serve.
        create(sliceOf(NS, "web-3", "web", third.address().getPort(), ready("127.0.0.1", "node-c")));
        awaitAnswers(vip, 18, Set.of("local", "remote", "third"));
    }

    @Test
    void preferSameNode_internalTrafficPolicyLocal_wins() {
        InetSocketAddress vip = address("127.0.31.7", 8080);
        create(service(NS, "web", "127.0.31.7", 8080).editSpec().withTrafficDistribution("PreferSameNode")
                .withInternalTrafficPolicy("Local").endSpec().build());
        create(sliceOf(NS, "web-1", "web", local.address().getPort(), nodeHinted(NODE, "zone-1", "node-b")));
        create(sliceOf(NS, "web-2", "web", remote.address().getPort(), nodeHinted("node-b", "zone-1", NODE)));

        awaitAnswers(vip, 6, Set.of("local"));
    }

    @Test
    void preferSameZone_zoneHints_thisZonesEndpoints() {
        InetSocketAddress vip = address("127.0.31.8", 8080);
        create(service(NS, "web", "127.0.31.8", 8080).editSpec().withTrafficDistribution("PreferSameZone").endSpec()
                .build());
        create(sliceOf(NS, "web-1", "web", local.address().getPort(), hinted("node-b", "zone-1")));
        create(sliceOf(NS, "web-2", "web", remote.address().getPort(), hinted("node-c", "zone-2")));

        awaitAnswers(vip, 6, Set.of("local"));
    }

    @Test
    void loadBalancerSourceRanges_clientOutsideRefused_clusterIpUnrestricted() {
        InetSocketAddress lb = address("127.0.31.5", 8080);
        Service s = create(service(NS, "web", "127.0.31.4", 8080).editSpec().withType("LoadBalancer")
                .editFirstPort().withNodePort(TcpPorts.freeAddress("127.0.0.1").getPort()).endPort()
                .withLoadBalancerSourceRanges("127.0.0.2/32").endSpec().build());
        s.setStatus(new ServiceStatusBuilder().withNewLoadBalancer()
                .addNewIngress().withIp("127.0.31.5").endIngress().endLoadBalancer().build());
        client.services().inNamespace(NS).resource(s).updateStatus();
        create(sliceOf(NS, "web-1", "web", local.address().getPort(), ready("127.0.0.1", NODE)));

        awaitAnswer(lb, from("127.0.0.2"), "local");
        assertThat(whoAnswers(lb, from("127.0.0.3"))).isEqualTo(REFUSED);
        assertThat(whoAnswers(address("127.0.31.4", 8080), from("127.0.0.3"))).isEqualTo("local");
    }

    /** {@code local} on this node and {@code remote} on another, in two slices of {@code service}. */
    private void createEndpoints(String service) {
        create(sliceOf(NS, service + "-local", service, local.address().getPort(), ready("127.0.0.1", NODE)));
        create(sliceOf(NS, service + "-remote", service, remote.address().getPort(), ready("127.0.0.1", "node-b")));
    }

    /** A ready endpoint on {@code node} in {@code zone}, hinted for that zone and for {@code hintedNode}. */
    private static Endpoint nodeHinted(String node, String zone, String hintedNode) {
        return new EndpointBuilder(hinted(node, zone)).editHints().addNewForNode().withName(hintedNode).endForNode()
                .endHints().build();
    }

    private static Endpoint hinted(String node, String zone) {
        return new EndpointBuilder(ready("127.0.0.1", node)).withZone(zone)
                .withNewHints().addNewForZone().withName(zone).endForZone().endHints().build();
    }

    private Service create(Service s) {
        return client.services().inNamespace(NS).resource(s).createOr(r -> r.update());
    }

    private void create(EndpointSlice s) {
        client.discovery().v1().endpointSlices().inNamespace(NS).resource(s).createOr(r -> r.update());
    }

    private static InetAddress from(String ip) {
        return IpAddresses.parse(ip);
    }

    private static InetSocketAddress address(String ip, int port) {
        return new InetSocketAddress(IpAddresses.parse(ip), port);
    }
}
