package io.userspaceproxy.agent;

import static io.userspaceproxy.agent.testing.ClusterObjects.NODE;
import static io.userspaceproxy.agent.testing.ClusterObjects.node;
import static io.userspaceproxy.agent.testing.ClusterObjects.ready;
import static io.userspaceproxy.agent.testing.ClusterObjects.service;
import static io.userspaceproxy.agent.testing.ClusterObjects.sliceOf;
import static io.userspaceproxy.agent.testing.Traffic.awaitAnswer;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.userspaceproxy.agent.config.AgentConfig;
import io.userspaceproxy.agent.config.AgentOptions;
import io.userspaceproxy.core.testing.Closer;
import io.userspaceproxy.core.testing.TcpEchoServer;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The configuration a cluster already has: kubeadm 1.33's {@code KubeProxyConfiguration} with
 * {@code nodePortAddresses: [primary]}, given with {@code --config}, starts the agent against an API server (the mock)
 * and traffic flows. It used to exit 2.
 */
@EnableKubernetesMockClient(crud = true, https = false)
@Timeout(90)
class ConfigFileClusterIT {

    private static final String NS = "shop";

    KubernetesClient client;

    @TempDir
    Path tmp;

    private final Closer closer = new Closer();
    private final TcpEchoServer backend = closer.add(new TcpEchoServer("backend"));

    @AfterEach
    void tearDown() throws Exception {
        closer.close();
    }

    @Test
    void kubeadm133File_withNodePortAddressesPrimary_startsAndServes() throws Exception {
        Path file = tmp.resolve("config.conf");
        try (InputStream in = getClass().getResourceAsStream("/config/kubeadm-1.33.yaml")) {
            Files.write(file, in.readAllBytes());
        }
        client.nodes().resource(node(NODE, "192.0.2.10", null)).create();
        String[] args = {"--config", file.toString(), "--master", client.getMasterUrl().toString(),
            "--hostname-override", NODE, "--vip-interface", "none", "--min-sync-period", "0",
            "--healthz-bind-address", "127.0.0.1:0", "--metrics-bind-address", "127.0.0.1:0"};
        AgentOptions options = new AgentOptions();
        AgentOptions.parse(new CommandLine(options), args);

        AgentConfig config = AgentConfig.from(options);
        closer.add(ProxyAgent.start(config));

        assertThat(config.nodePortAddresses().primary()).isTrue();
        client.services().inNamespace(NS).resource(service(NS, "web", "127.0.38.1", 8080).build()).create();
        client.discovery().v1().endpointSlices().inNamespace(NS).resource(
                sliceOf(NS, "web-1", "web", backend.address().getPort(), ready("127.0.0.1", NODE))).create();
        awaitAnswer(new InetSocketAddress("127.0.38.1", 8080), "backend");
    }
}
