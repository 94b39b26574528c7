package io.userspaceproxy.agent;

import static io.userspaceproxy.agent.testing.ClusterObjects.NODE;
import static io.userspaceproxy.agent.testing.ClusterObjects.node;
import static io.userspaceproxy.agent.testing.ClusterObjects.ready;
import static io.userspaceproxy.agent.testing.ClusterObjects.service;
import static io.userspaceproxy.agent.testing.ClusterObjects.slice;
import static io.userspaceproxy.agent.testing.ClusterObjects.sliceOf;
import static io.userspaceproxy.agent.testing.Traffic.REFUSED;
import static io.userspaceproxy.agent.testing.Traffic.awaitAnswer;
import static io.userspaceproxy.agent.testing.Traffic.awaitAnswers;
import static io.userspaceproxy.agent.testing.Traffic.whoAnswers;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceStatusBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.ServiceCIDRBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.netty.channel.EventLoopGroup;
import io.userspaceproxy.agent.testing.ClusterAgent;
import io.userspaceproxy.core.listen.Transport;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.IpAddresses;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.testing.Closer;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.UdpEchoBackend;
import io.userspaceproxy.core.testing.UdpTestClient;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Newer Service semantics that already behaved as kube-proxy 1.33-1.35 does, pinned through the mock API server with
 * real traffic on 127.x: the topology-mode annotation, load-balancer {@code ipMode}, load balancers without
 * NodePorts, cluster IPs from two ServiceCIDRs, and UDP flows closed when a Service loses its last endpoint.
 */
@EnableKubernetesMockClient(crud = true, https = false)
@Timeout(90)
class ClusterParityIT {

    private static final String NS = "shop";

    KubernetesClient client;

    private final Closer closer = new Closer();
    private final TcpEchoServer a = closer.add(new TcpEchoServer("a"));
    private final TcpEchoServer b = closer.add(new TcpEchoServer("b"));
    private ProxyAgent agent;

    @BeforeEach
    void setUp() throws Exception {
        client.nodes().resource(node(NODE, "192.0.2.10", "zone-1")).create();
        agent = closer.add(ClusterAgent.start(client.getMasterUrl().toString()));
    }

    @AfterEach
    void tearDown() throws Exception {
        closer.close();
    }

    @Test
    void topologyModeAutoAnnotation_zoneHints_thisZonesEndpoint() {
        InetSocketAddress vip = address("127.0.39.1", 8080);
        create(service(NS, "web", "127.0.39.1", 8080).editMetadata()
                .addToAnnotations("service.kubernetes.io/topology-mode", "Auto").endMetadata().build());
        createSlice("web-1", "web", a, new EndpointBuilder(ready("127.0.0.1", "node-b")).withZone("zone-1")
                .withNewHints().addNewForZone().withName("zone-1").endForZone().endHints().build());
        createSlice("web-2", "web", b, new EndpointBuilder(ready("127.0.0.1", "node-c")).withZone("zone-2")
                .withNewHints().addNewForZone().withName("zone-2").endForZone().endHints().build());

        awaitAnswers(vip, 6, Set.of("a"));
    }

    @Test
    void loadBalancerIpMode_vipServed_proxyLeftToTheLoadBalancer() {
        Service s = create(service(NS, "web", "127.0.39.2", 8080).editSpec().withType("LoadBalancer")
                .withAllocateLoadBalancerNodePorts(false).endSpec().build());
        s.setStatus(new ServiceStatusBuilder().withNewLoadBalancer()
                .addNewIngress().withIp("127.0.39.3").withIpMode("VIP").endIngress()
                .addNewIngress().withIp("127.0.39.4").withIpMode("Proxy").endIngress().endLoadBalancer().build());
        client.services().inNamespace(NS).resource(s).updateStatus();
        createSlice("web-1", "web", a, ready("127.0.0.1", NODE));

        awaitAnswer(address("127.0.39.3", 8080), "a");
        assertThat(whoAnswers(address("127.0.39.4", 8080))).as("ipMode Proxy: the load balancer proxies itself")
                .isEqualTo(REFUSED);
        assertThat(agent.listeners().table().routes().values()).as("allocateLoadBalancerNodePorts: false")
                .noneMatch(r -> r.route().frontend() == FrontendKind.NODE_PORT);
    }

    @Test
    void clusterIpsFromTwoServiceCidrs_bothServed() {
        client.network().v1().serviceCIDRs().resource(new ServiceCIDRBuilder().withNewMetadata()
                .withName("kubernetes").endMetadata().withNewSpec().withCidrs("127.0.40.0/24").endSpec().build()).create();
        client.network().v1().serviceCIDRs().resource(new ServiceCIDRBuilder().withNewMetadata()
                .withName("extra").endMetadata().withNewSpec().withCidrs("127.0.41.0/24").endSpec().build()).create();
        create(service(NS, "old", "127.0.40.10", 8080).build());
        create(service(NS, "new", "127.0.41.10", 8080).build());
        createSlice("old-1", "old", a, ready("127.0.0.1", NODE));
        createSlice("new-1", "new", b, ready("127.0.0.1", NODE));

        awaitAnswer(address("127.0.40.10", 8080), "a");
        awaitAnswer(address("127.0.41.10", 8080), "b");
    }

    @Test
    void udpService_losesItsLastEndpoint_flowClosed() throws Exception {
        EventLoopGroup group = Transport.NIO.newEventLoopGroup(1);
        try (UdpEchoBackend dns = UdpEchoBackend.start("dns", group, Transport.NIO);
                UdpTestClient c = UdpTestClient.bind("127.0.0.1")) {
            create(service(NS, "dns", "127.0.39.5", 53).editSpec().editFirstPort().withName("dns").withProtocol("UDP")
                    .endPort().endSpec().build());
            client.discovery().v1().endpointSlices().inNamespace(NS).resource(slice(NS, "dns-1", "dns",
                    dns.endpoint().address().getPort(), ready("127.0.0.1", NODE)).editFirstPort().withName("dns")
                    .withProtocol("UDP").endPort().build()).create();
            InetSocketAddress vip = address("127.0.39.5", 53);
            ListenerKey key = ListenerKey.of(Protocol.UDP, vip);
            Optional<UdpTestClient.Reply> reply = await().atMost(Duration.ofSeconds(20))
                    .until(() -> c.exchange(vip, "q", Duration.ofMillis(300)), Optional::isPresent);
            assertThat(reply.orElseThrow().text()).isEqualTo("dns:q");
            assertThat(agent.listeners().udpFlows().activeFlows(key)).isEqualTo(1);

            client.discovery().v1().endpointSlices().inNamespace(NS).withName("dns-1").delete();

            await().atMost(Duration.ofSeconds(20)).until(() -> agent.listeners().udpFlows().activeFlows(key) == 0);
            assertThat(c.exchange(vip, "again", Duration.ofMillis(500))).as("no endpoint: dropped").isEmpty();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private Service create(Service s) {
        return client.services().inNamespace(NS).resource(s).createOr(r -> r.update());
    }

    private void createSlice(String name, String service, TcpEchoServer backend,
            io.fabric8.kubernetes.api.model.discovery.v1.Endpoint endpoint) {
        client.discovery().v1().endpointSlices().inNamespace(NS)
                .resource(sliceOf(NS, name, service, backend.address().getPort(), endpoint)).createOr(r -> r.update());
    }

    private static InetSocketAddress address(String ip, int port) {
        return new InetSocketAddress(IpAddresses.parse(ip), port);
    }
}
