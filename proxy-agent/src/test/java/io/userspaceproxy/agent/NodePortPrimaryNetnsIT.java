package io.userspaceproxy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.userspaceproxy.agent.testing.AgentProcess;
import io.userspaceproxy.agent.testing.Netns;
import io.userspaceproxy.agent.testing.NetnsProbe;
import io.userspaceproxy.agent.testing.NodePodClient;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --nodeport-addresses primary} on real addresses: the packaged jar runs in a "node" namespace with two
 * interfaces (10.244.1.1 towards the pod, 10.244.2.1 towards the client) and {@code --bind-address 10.244.2.1}, the
 * node's primary IP. The NodePort answers there and nowhere else. Everything stays in namespaces this test creates
 * and removes.
 */
@Tag("netns")
@Timeout(180)
class NodePortPrimaryNetnsIT {

    @TempDir
    Path tmp;

    private NodePodClient nodes;

    @BeforeEach
    void setUp() throws Exception {
        Netns.assumeAvailable();
        nodes = NodePodClient.create(tmp);
        Path manifests = Files.createDirectories(tmp.resolve("manifests"));
        Files.writeString(manifests.resolve("web.yaml"), NodePodClient.service("web", "10.96.0.10", 30080));
        nodes.node.spawn(AgentProcess.command("--manifests", manifests.toString(), "--nodeport-addresses", "primary",
                "--bind-address", "10.244.2.1", "--vip-interface", "usproxy0", "--vip-state-file",
                tmp.resolve("vips").toString(), "--min-sync-period", "0"), tmp.resolve("agent.log"));
    }

    @AfterEach
    void tearDown() {
        if (nodes != null) {
            nodes.close();
        }
    }

    @Test
    @DisplayName("With --nodeport-addresses primary, the NodePort answers on the primary IP and not on the node's other address")
    void primary_nodePortOnPrimaryIpOnly() {
        String answer = nodes.client.probeUntilAnswered("10.244.2.1", 30080, "via-primary", "pod-a",
                () -> "agent log:\n" + Netns.readLog(tmp.resolve("agent.log")));

        assertThat(answer).isEqualTo("pod-a from=10.244.1.1 via-primary");
        assertThatThrownBy(() -> nodes.pod.exec(Netns.javaMain(NetnsProbe.class, "tcp", "10.244.1.1", "30080", "other")
                .toArray(new String[0])))
                .as("10.244.1.1 is a node address too, but not the primary one").isInstanceOf(IllegalStateException.class);
        assertThat(Netns.readLog(tmp.resolve("agent.log"))).contains("--nodeport-addresses primary: [10.244.2.1]");
    }
}
