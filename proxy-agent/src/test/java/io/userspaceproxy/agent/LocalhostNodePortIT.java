package io.userspaceproxy.agent;

import static io.userspaceproxy.agent.testing.ClusterObjects.NODE;
import static io.userspaceproxy.agent.testing.ClusterObjects.node;
import static io.userspaceproxy.agent.testing.ClusterObjects.ready;
import static io.userspaceproxy.agent.testing.ClusterObjects.service;
import static io.userspaceproxy.agent.testing.ClusterObjects.slice;
import static io.userspaceproxy.agent.testing.MetricsText.value;
import static io.userspaceproxy.agent.testing.Traffic.REFUSED;
import static io.userspaceproxy.agent.testing.Traffic.awaitAnswer;
import static io.userspaceproxy.agent.testing.Traffic.whoAnswers;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.netty.channel.EventLoopGroup;
import io.userspaceproxy.agent.testing.ClusterAgent;
import io.userspaceproxy.agent.testing.MetricsText;
import io.userspaceproxy.core.listen.Transport;
import io.userspaceproxy.core.testing.Closer;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPorts;
import io.userspaceproxy.core.testing.UdpEchoBackend;
import io.userspaceproxy.core.testing.UdpTestClient;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code --nodeport-addresses} keywords on a cluster (mock API server): {@code localhost} serves NodePorts on
 * {@code 127.0.0.1} for TCP and UDP (KEP-6032, where kube-proxy serves TCP only) and is counted in
 * {@code kubeproxy_localhost_nodeport_listeners}; {@code primary} means the Node's InternalIP, never loopback, and
 * starts the agent where it used to exit 2.
 */
@EnableKubernetesMockClient(crud = true, https = false)
@Timeout(90)
class LocalhostNodePortIT {

    private static final String NS = "shop";
    private static final String GAUGE = "kubeproxy_localhost_nodeport_listeners";

    KubernetesClient client;

    private final Closer closer = new Closer();
    private final TcpEchoServer tcp = closer.add(new TcpEchoServer("tcp"));
    private UdpEchoBackend udp;
    private ProxyAgent agent;

    @BeforeEach
    void setUp() throws Exception {
        EventLoopGroup group = Transport.NIO.newEventLoopGroup(1);
        closer.add(() -> group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly());
        udp = closer.add(UdpEchoBackend.start("udp", group, Transport.NIO));
        client.nodes().resource(node(NODE, "192.0.2.10", "zone-1")).create();
    }

    @AfterEach
    void tearDown() throws Exception {
        closer.close();
    }

    private ProxyAgent start(String... args) throws Exception {
        return closer.add(ClusterAgent.start(client.getMasterUrl().toString(), args));
    }

    @Test
    void localhostKeyword_nodePortOn127001_tcpAndUdp_countedInGauge() throws Exception {
        agent = start("--nodeport-addresses", "primary,localhost", "--metrics-bind-address", "127.0.0.1:0");
        int tcpPort = TcpPorts.freeAddress("127.0.0.1").getPort();
        int udpPort = TcpPorts.freeAddress("127.0.0.1").getPort();
        createNodePortService(tcpPort, udpPort);

        awaitAnswer(new InetSocketAddress("127.0.0.1", tcpPort), "tcp");
        InetSocketAddress udpNodePort = new InetSocketAddress("127.0.0.1", udpPort);
        try (UdpTestClient c = UdpTestClient.bind("127.0.0.1")) {
            Optional<UdpTestClient.Reply> reply = await().atMost(Duration.ofSeconds(20))
                    .until(() -> c.exchange(udpNodePort, "ping", Duration.ofMillis(300)), Optional::isPresent);
            assertThat(reply.orElseThrow().text()).isEqualTo("udp:ping");
            assertThat(reply.orElseThrow().source()).as("the reply comes from the NodePort").isEqualTo(udpNodePort);
        }
        assertThat(value(metrics(), GAUGE, "ip_family=\"IPv4\"")).as("TCP and UDP on 127.0.0.1").isEqualTo(2);

        client.services().inNamespace(NS).withName("web").delete();
        await().atMost(Duration.ofSeconds(20)).until(() -> value(metrics(), GAUGE, "ip_family=\"IPv4\"") == 0);
    }

    @Test
    void primaryKeyword_alone_agentStarts_noNodePortOnLoopback() throws Exception {
        agent = start("--nodeport-addresses", "primary", "--metrics-bind-address", "127.0.0.1:0");
        int tcpPort = TcpPorts.freeAddress("127.0.0.1").getPort();
        createNodePortService(tcpPort, TcpPorts.freeAddress("127.0.0.1").getPort());

        awaitAnswer(new InetSocketAddress("127.0.37.1", 8080), "tcp");
        assertThat(whoAnswers(new InetSocketAddress("127.0.0.1", tcpPort)))
                .as("primary is the Node's InternalIP 192.0.2.10 (not local here), never loopback").isEqualTo(REFUSED);
        assertThat(value(metrics(), GAUGE, "ip_family=\"IPv4\"")).isZero();
    }

    private void createNodePortService(int tcpNodePort, int udpNodePort) {
        client.services().inNamespace(NS).resource(service(NS, "web", "127.0.37.1", 8080).editSpec().withType("NodePort")
                .editFirstPort().withNodePort(tcpNodePort).endPort()
                .addNewPort().withName("dns").withProtocol("UDP").withPort(53).withNodePort(udpNodePort).endPort()
                .endSpec().build()).create();
        client.discovery().v1().endpointSlices().inNamespace(NS).resource(
                slice(NS, "web-1", "web", tcp.address().getPort(), ready("127.0.0.1", NODE))
                        .addNewPort().withName("dns").withProtocol("UDP")
                        .withPort(udp.endpoint().address().getPort()).endPort().build()).create();
    }

    private String metrics() throws Exception {
        return MetricsText.get(agent.metricsAddress().orElseThrow(), "/metrics");
    }
}
