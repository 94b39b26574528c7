package io.userspaceproxy.agent;

import static io.userspaceproxy.agent.testing.ClusterObjects.NODE;
import static io.userspaceproxy.agent.testing.ClusterObjects.endpoint;
import static io.userspaceproxy.agent.testing.ClusterObjects.ready;
import static io.userspaceproxy.agent.testing.ClusterObjects.service;
import static io.userspaceproxy.agent.testing.ClusterObjects.slice;
import static io.userspaceproxy.agent.testing.ClusterObjects.sliceOf;
import static io.userspaceproxy.agent.testing.Traffic.REFUSED;
import static io.userspaceproxy.agent.testing.Traffic.answers;
import static io.userspaceproxy.agent.testing.Traffic.awaitAnswer;
import static io.userspaceproxy.agent.testing.Traffic.awaitAnswers;
import static io.userspaceproxy.agent.testing.Traffic.whoAnswers;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.userspaceproxy.agent.testing.ClusterAgent;
import io.userspaceproxy.core.model.IpAddresses;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpTestClient;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The agent on a cluster, driven through fabric8's CRUD mock API server: Services and EndpointSlices created,
 * changed and deleted in the API reach real backends through 127.x ClusterIPs, through the informers, the change
 * tracker, the sync loop and the listeners, as on a node.
 */
@EnableKubernetesMockClient(crud = true, https = false)
@Timeout(90)
class ClusterTrafficIT {

    private static final String NS = "shop";

    KubernetesClient client;

    @AutoClose
    private final TcpEchoServer a = new TcpEchoServer("a");
    @AutoClose
    private final TcpEchoServer b = new TcpEchoServer("b");
    @AutoClose
    private ProxyAgent agent;

    @BeforeEach
    void setUp() throws Exception {
        agent = ClusterAgent.start(client.getMasterUrl().toString());
    }

    @Test
    void serviceAndSlices_createdUpdatedDeleted_trafficFollows() {
        InetSocketAddress vip = address("127.0.30.1", 8080);
        create(service(NS, "web", "127.0.30.1", 8080).build());
        create(sliceOf(NS, "web-1", "web", a.address().getPort(), ready("127.0.0.1", NODE)));
        awaitAnswer(vip, "a");

        create(sliceOf(NS, "web-1", "web", b.address().getPort(), ready("127.0.0.1", NODE)));
        awaitAnswer(vip, "b");

        create(service(NS, "web", "127.0.30.1", 8081).build());
        InetSocketAddress moved = address("127.0.30.1", 8081);
        awaitAnswer(moved, "b");
        awaitAnswer(vip, REFUSED);

        client.discovery().v1().endpointSlices().inNamespace(NS).withName("web-1").delete();
        awaitAnswer(moved, REFUSED);
        assertThat(agent.listeners().boundKeys()).as("a Service without endpoints keeps its listener")
                .contains(ListenerKey.of(Protocol.TCP, moved));

        client.services().inNamespace(NS).withName("web").delete();
        await().atMost(Duration.ofSeconds(20))
                .until(() -> !agent.listeners().boundKeys().contains(ListenerKey.of(Protocol.TCP, moved)));
        assertThat(whoAnswers(moved)).isEqualTo(REFUSED);
    }

    @Test
    void slicesOfOneService_joinedByLabel_balancedAcrossBoth() {
        InetSocketAddress vip = address("127.0.30.2", 8080);
        create(service(NS, "web", "127.0.30.2", 8080).build());
        create(sliceOf(NS, "web-1", "web", a.address().getPort(), ready("127.0.0.1", NODE)));
        create(sliceOf(NS, "web-2", "web", b.address().getPort(), ready("127.0.0.1", "node-b")));

        awaitAnswers(vip, 6, Set.of("a", "b"));
    }

    @Test
    void servicePorts_matchSlicePortsByName() {
        create(service(NS, "web", "127.0.30.3", 8080).editSpec()
                .addNewPort().withName("admin").withProtocol("TCP").withPort(9090).withNewTargetPort(9090).endPort()
                .endSpec().build());
        create(slice(NS, "web-1", "web", a.address().getPort(), ready("127.0.0.1", NODE))
                .addNewPort().withName("admin").withProtocol("TCP").withPort(b.address().getPort()).endPort()
                .build());

        awaitAnswer(address("127.0.30.3", 8080), "a");
        awaitAnswer(address("127.0.30.3", 9090), "b");
    }

    @Test
    void duplicateAndOtherFamilyEndpoints_servedOnceAndDropped() {
        InetSocketAddress vip = address("127.0.30.4", 8080);
        create(service(NS, "web", "127.0.30.4", 8080).build());
        create(sliceOf(NS, "web-1", "web", a.address().getPort(), ready("127.0.0.1", NODE)));
        create(sliceOf(NS, "web-2", "web", a.address().getPort(), ready("127.0.0.1", NODE)));
        create(slice(NS, "web-v6", "web", b.address().getPort(), ready("::1", NODE)).withAddressType("IPv6").build());

        awaitAnswers(vip, 6, Set.of("a"));
        assertThat(agent.listeners().table().lookup(ListenerKey.of(Protocol.TCP, vip)).route().endpoints())
                .as("one endpoint: the duplicate counted once, the IPv6 one not for an IPv4 ClusterIP")
                .hasSize(1);
    }

    @Test
    void terminatingEndpoints_usedOnlyWhenNoneIsReady() {
        InetSocketAddress vip = address("127.0.30.5", 8080);
        create(service(NS, "web", "127.0.30.5", 8080).build());
        create(sliceOf(NS, "web-old", "web", a.address().getPort(),
                endpoint("127.0.0.1", NODE, false, true, true).build()));
        awaitAnswer(vip, "a");

        create(sliceOf(NS, "web-new", "web", b.address().getPort(), ready("127.0.0.1", NODE)));
        awaitAnswers(vip, 6, Set.of("b"));

        client.discovery().v1().endpointSlices().inNamespace(NS).withName("web-new").delete();
        awaitAnswer(vip, "a");
    }

    @Test
    void serviceProxyNameLabel_withoutFlag_servesOnlyUnlabelledServices() {
        InetSocketAddress other = address("127.0.30.6", 8080);
        InetSocketAddress ours = address("127.0.30.7", 8080);
        create(service(NS, "other", "127.0.30.6", 8080).editMetadata()
                .addToLabels("service.kubernetes.io/service-proxy-name", "someone-else").endMetadata().build());
        create(sliceOf(NS, "other-1", "other", a.address().getPort(), ready("127.0.0.1", NODE)));
        create(service(NS, "ours", "127.0.30.7", 8080).build());
        create(sliceOf(NS, "ours-1", "ours", a.address().getPort(), ready("127.0.0.1", NODE)));
        awaitAnswer(ours, "a");
        assertThat(whoAnswers(other)).as("events are delivered in order: 'other' was seen before 'ours'")
                .isEqualTo(REFUSED);

        client.services().inNamespace(NS).withName("ours").edit(s -> {
            s.getMetadata().getLabels().put("service.kubernetes.io/service-proxy-name", "someone-else");
            return s;
        });
        awaitAnswer(ours, REFUSED);
    }

    @Test
    void serviceProxyNameFlag_servesOnlyServicesLabelledWithIt() throws Exception {
        agent.close();
        agent = ClusterAgent.start(client.getMasterUrl().toString(), "--service-proxy-name", "userspace-proxy");
        InetSocketAddress plain = address("127.0.30.10", 8080);
        InetSocketAddress labelled = address("127.0.30.11", 8080);
        create(service(NS, "plain", "127.0.30.10", 8080).build());
        create(sliceOf(NS, "plain-1", "plain", a.address().getPort(), ready("127.0.0.1", NODE)));
        create(service(NS, "labelled", "127.0.30.11", 8080).editMetadata()
                .addToLabels("service.kubernetes.io/service-proxy-name", "userspace-proxy").endMetadata().build());
        create(slice(NS, "labelled-1", "labelled", b.address().getPort(), ready("127.0.0.1", NODE)).editMetadata()
                .addToLabels("service.kubernetes.io/service-proxy-name", "userspace-proxy").endMetadata().build());

        awaitAnswer(labelled, "b");
        assertThat(whoAnswers(plain)).as("kube-proxy's Service, seen before ours, is left to kube-proxy")
                .isEqualTo(REFUSED);
    }

    @Test
    void headlessLabel_onServiceOrSlice_notServed() {
        InetSocketAddress vip = address("127.0.30.8", 8080);
        create(service(NS, "web", "127.0.30.8", 8080).build());
        create(slice(NS, "web-h", "web", b.address().getPort(), ready("127.0.0.1", NODE)).editMetadata()
                .addToLabels("service.kubernetes.io/headless", "").endMetadata().build());
        create(service(NS, "db", "127.0.30.9", 8080).editMetadata()
                .addToLabels("service.kubernetes.io/headless", "").endMetadata().build());
        create(sliceOf(NS, "db-1", "db", a.address().getPort(), ready("127.0.0.1", NODE)));
        create(sliceOf(NS, "web-1", "web", a.address().getPort(), ready("127.0.0.1", NODE)));

        awaitAnswer(vip, "a");
        assertThat(answers(vip, 6)).containsExactly("a");
        assertThat(whoAnswers(address("127.0.30.9", 8080))).isEqualTo(REFUSED);
    }

    @Test
    void holdWhenEmpty_clientHeldWhileScaledToZero_needPodsEventOnTheService_servedWhenASliceComes()
            throws Exception {
        InetSocketAddress vip = address("127.0.30.12", 8080);
        create(service(NS, "web", "127.0.30.12", 8080).editMetadata()
                .addToAnnotations("userspace-proxy.io/hold-when-empty", "30s").endMetadata().build());
        await().atMost(Duration.ofSeconds(20))
                .until(() -> agent.listeners().boundKeys().contains(ListenerKey.of(Protocol.TCP, vip)));

        try (TcpTestClient held = TcpTestClient.connect(vip)) {
            held.writeLine("waiting");
            List<Event> events = await().atMost(Duration.ofSeconds(20)).until(
                    () -> client.events().v1().events().inNamespace(NS).list().getItems(), e -> !e.isEmpty());
            assertThat(events).singleElement().satisfies(e -> {
                assertThat(e.getReason()).isEqualTo("NeedPods");
                assertThat(e.getRegarding().getKind()).isEqualTo("Service");
                assertThat(e.getRegarding().getName()).isEqualTo("web");
                assertThat(e.getReportingInstance()).isEqualTo("userspace-proxy-" + NODE);
            });

            create(sliceOf(NS, "web-1", "web", a.address().getPort(), ready("127.0.0.1", NODE)));

            assertThat(held.readLine()).isEqualTo("a");
            assertThat(held.readLine()).isEqualTo("waiting");
        }
    }

    private void create(Service s) {
        client.services().inNamespace(NS).resource(s).createOr(r -> r.update());
    }

    private void create(EndpointSlice s) {
        client.discovery().v1().endpointSlices().inNamespace(NS).resource(s).createOr(r -> r.update());
    }

    private static InetSocketAddress address(String ip, int port) {
        return new InetSocketAddress(IpAddresses.parse(ip), port);
    }
}
