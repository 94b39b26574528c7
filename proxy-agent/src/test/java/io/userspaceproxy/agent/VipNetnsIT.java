package io.userspaceproxy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.userspaceproxy.agent.testing.AgentProcess;
import io.userspaceproxy.agent.testing.Netns;
import io.userspaceproxy.agent.testing.NodePodClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent managing its own Service addresses on a node: the packaged jar runs in a "node" namespace with
 * {@code --vip-interface}, adds the 10.96.x ClusterIPs it serves to that interface (a dummy link, or {@code lo}
 * labelled {@code lo:usp} where the kernel lacks dummy links), removes the ones no longer served, and
 * {@code --cleanup} removes the rest. The API server is replaced by a manifest directory: an in-JVM mock API server
 * would live in the root namespace, out of the node namespace's reach. Everything stays in namespaces this test
 * creates and removes.
 */
@Tag("netns")
@Timeout(180)
class VipNetnsIT {

    private static final String WEB_VIP = "10.96.0.10";
    private static final String API_VIP = "10.96.0.11";

    @TempDir
    Path tmp;

    private NodePodClient nodes;
    private Netns node;
    private Netns client;
    private Path manifests;
    private Path stateFile;
    private Process agent;

    @BeforeEach
    void setUp() throws Exception {
        Netns.assumeAvailable();
        nodes = NodePodClient.create(tmp);
        node = nodes.node;
        client = nodes.client;

        manifests = Files.createDirectories(tmp.resolve("manifests"));
        stateFile = tmp.resolve("state").resolve("vips");
        Files.writeString(manifests.resolve("web.yaml"), NodePodClient.service("web", WEB_VIP, 30080));
        Files.writeString(manifests.resolve("api.yaml"), NodePodClient.service("api", API_VIP, 30081));
        agent = node.spawn(agentCommand(), tmp.resolve("agent.log"));
    }

    /**
     * The DaemonSet's way: every agent on the node has the same command line. The hand-over socket is explicit, so
     * that agents of other tests on this machine never meet these.
     */
    private List<String> agentCommand() {
        return AgentProcess.command("--proxy-mode=userspace", "--manifests", manifests.toString(),
                "--vip-interface", "usproxy0", "--vip-state-file", stateFile.toString(),
                "--nodeport-addresses", "10.244.2.1/32", "--min-sync-period", "0",
                "--handover-socket", tmp.resolve("handover.sock").toString());
    }

    @AfterEach
    void tearDown() {
        if (nodes != null) {
            nodes.close();
        }
    }

    @Test
    @DisplayName("The agent adds the ClusterIP it serves, and a client pod reaches the backend through it")
    void clusterIp_addedByTheAgent_reachableFromClientPod() {
        assertThat(probeUntilAnswered(WEB_VIP, 80, "hello")).isEqualTo("pod-a from=10.244.1.1 hello");
        assertThat(nodeAddresses()).contains(WEB_VIP + "/32", API_VIP + "/32");
    }

    @Test
    @DisplayName("A NodePort on the node's own address reaches the backend, and never lands on the VIP interface")
    void nodePort_onNodeAddress_reachesPod() {
        assertThat(probeUntilAnswered("10.244.2.1", 30080, "via-nodeport")).isEqualTo("pod-a from=10.244.1.1 via-nodeport");
        assertThat(nodeAddresses()).doesNotContain("10.244.2.1/32");
    }

    @Test
    @DisplayName("A Service that goes away takes its address with it; the others stay")
    void serviceRemoved_itsAddressRemoved() throws Exception {
        probeUntilAnswered(API_VIP, 80, "before");

        Files.delete(manifests.resolve("api.yaml"));

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
                .until(() -> !nodeAddresses().contains(API_VIP + "/32"));
        assertThat(nodeAddresses()).contains(WEB_VIP + "/32");
        assertThat(Files.readAllLines(stateFile)).containsExactly(WEB_VIP);
    }

    @Test
    @DisplayName("After the agent stops, --cleanup removes every Service address it added and its state file")
    void cleanup_afterStop_noServiceAddressLeft() throws Exception {
        probeUntilAnswered(WEB_VIP, 80, "before");
        agent.destroy();
        assertThat(agent.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(nodeAddresses()).as("stopping leaves the addresses, as kube-proxy leaves its rules")
                .contains(WEB_VIP + "/32");

        String out = node.exec(AgentProcess.command("--cleanup", "--vip-interface", "usproxy0", "--vip-state-file",
                stateFile.toString()).toArray(new String[0]));

        assertThat(node.ip("-o", "addr")).doesNotContain("10.96.");
        assertThat(node.ip("-o", "link")).doesNotContain("usproxy0");
        assertThat(stateFile).as(out).doesNotExist();
        assertThat(node.ip("-o", "addr")).contains("10.244.2.1/24", "127.0.0.1/8");
    }

    @Test
    @DisplayName("A surge upgrade: the new agent takes over, and the ClusterIP never leaves the node meanwhile")
    void upgrade_secondAgentTakesOver_serviceAddressStaysThroughout() throws Exception {
        probeUntilAnswered(WEB_VIP, 80, "before");

        Process second = node.spawn(agentCommand(), tmp.resolve("agent-2.log"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int checks = 0;
        // Until the old agent has handed over and exited: an earlier start removed every Service address here
        // and added them back only at its first sync, cutting the node's Services off for that long.
        while (agent.isAlive() && System.nanoTime() < deadline) {
            assertThat(nodeAddresses()).as("check %d, with both agents running", checks).contains(WEB_VIP + "/32");
            checks++;
        }

        assertThat(agent.waitFor(0, TimeUnit.SECONDS)).as("the old agent handed over and exited").isTrue();
        assertThat(agent.exitValue()).isZero();
        assertThat(checks).isPositive();
        assertThat(second.isAlive()).isTrue();
        assertThat(probeUntilAnswered(WEB_VIP, 80, "after")).isEqualTo("pod-a from=10.244.1.1 after");
        assertThat(nodeAddresses()).contains(WEB_VIP + "/32", API_VIP + "/32");
    }

    private String nodeAddresses() {
        return node.ip("-o", "addr");
    }

    private String probeUntilAnswered(String host, int port, String message) {
        return client.probeUntilAnswered(host, port, message, "pod-a", () -> "agent log:\n" + Netns.readLog(tmp.resolve("agent.log")) + "\nnode addresses:\n"
                + nodeAddresses());
    }
}
