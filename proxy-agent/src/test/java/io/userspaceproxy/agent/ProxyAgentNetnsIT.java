package io.userspaceproxy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.userspaceproxy.agent.testing.AgentProcess;
import io.userspaceproxy.agent.testing.Netns;
import io.userspaceproxy.agent.testing.NetnsEchoServer;
import io.userspaceproxy.agent.testing.NetnsProbe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent as it runs on a node: a "node" namespace runs the packaged jar, a "pod" namespace runs a backend, and
 * a "client" namespace reaches the Service address through the node. Everything stays inside namespaces this test
 * creates, and all of them are removed afterwards.
 */
@Tag("netns")
@Timeout(180)
class ProxyAgentNetnsIT {

    private static final String VIP = "10.96.0.10";
    private static final String DNS_VIP = "10.96.0.53";

    @TempDir
    Path tmp;

    private Netns node;
    private Netns pod;
    private Netns podB;
    private Netns client;

    @BeforeEach
    void setUp() throws Exception {
        Netns.assumeAvailable();
        node = Netns.create("usp-node");
        pod = Netns.create("usp-pod");
        podB = Netns.create("usp-podb");
        client = Netns.create("usp-client");
        Netns.link(node, "to-pod", "10.244.1.1/24", pod, "eth0", "10.244.1.2/24");
        Netns.link(node, "to-podb", "10.244.3.1/24", podB, "eth0", "10.244.3.2/24");
        Netns.link(node, "to-client", "10.244.2.1/24", client, "eth0", "10.244.2.2/24");
        pod.ip("route", "add", "default", "via", "10.244.1.1");
        podB.ip("route", "add", "default", "via", "10.244.3.1");
        client.ip("route", "add", "default", "via", "10.244.2.1");
        // In this test the Service address is added by hand; the agent's own VIP management is tested elsewhere.
        node.ip("addr", "add", VIP + "/32", "dev", "lo");
        node.ip("addr", "add", DNS_VIP + "/32", "dev", "lo");

        pod.spawn(Netns.javaMain(NetnsEchoServer.class, "tcp", "10.244.1.2", "8080", "pod-a"), tmp.resolve("pod.log"));
        pod.spawn(Netns.javaMain(NetnsEchoServer.class, "udp", "10.244.1.2", "5353", "dns-a"),
                tmp.resolve("pod-udp.log"));
        podB.spawn(Netns.javaMain(NetnsEchoServer.class, "udp", "10.244.3.2", "5353", "dns-b"),
                tmp.resolve("podb-udp.log"));
        Path manifests = Files.createDirectories(tmp.resolve("manifests"));
        Files.writeString(manifests.resolve("web.yaml"), """
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: shop}
                spec:
                  type: NodePort
                  clusterIP: %s
                  ports:
                  - {name: http, protocol: TCP, port: 80, targetPort: 8080, nodePort: 30080}
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: web-1
                  namespace: shop
                  labels: {kubernetes.io/service-name: web}
                addressType: IPv4
                ports:
                - {name: http, protocol: TCP, port: 8080}
                endpoints:
                - addresses: ["10.244.1.2"]
                  conditions: {ready: true}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: dns, namespace: kube-system}
                spec:
                  clusterIP: %s
                  ports:
                  - {name: dns, protocol: UDP, port: 53, targetPort: 5353}
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: dns-1
                  namespace: kube-system
                  labels: {kubernetes.io/service-name: dns}
                addressType: IPv4
                ports:
                - {name: dns, protocol: UDP, port: 5353}
                endpoints:
                - addresses: ["10.244.1.2"]
                - addresses: ["10.244.3.2"]
                """.formatted(VIP, DNS_VIP));
        node.spawn(AgentProcess.command("--proxy-mode=userspace", "--manifests", manifests.toString(),
                "--nodeport-addresses", "10.244.2.1/32", "--min-sync-period", "0"), tmp.resolve("agent.log"));
    }

    @AfterEach
    void tearDown() {
        for (Netns ns : new Netns[] {client, pod, podB, node}) {
            if (ns != null) {
                ns.close();
            }
        }
    }

    @Test
    @DisplayName("A client pod reaches the backend pod through the ClusterIP that the agent serves on the node")
    void clusterIp_fromClientNamespace_reachesPodThroughProxy() {
        String answer = probeUntilAnswered(VIP, 80, "hello");

        // The pod saw the node's address: the proxy, not the client, opened the backend connection.
        assertThat(answer).isEqualTo("pod-a from=10.244.1.1 hello");
    }

    @Test
    @DisplayName("A NodePort on the node's own address reaches the backend pod")
    void nodePort_onNodeAddress_reachesPod() {
        String answer = probeUntilAnswered("10.244.2.1", 30080, "via-nodeport");

        assertThat(answer).isEqualTo("pod-a from=10.244.1.1 via-nodeport");
    }

    @Test
    @DisplayName("UDP from a client pod reaches two pod namespaces in turn, and every reply comes from the VIP")
    void udpClusterIp_fromClientNamespace_spreadsOverPodsWithVipAsReplySource() {
        Set<String> answeredBy = new HashSet<>();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            String reply;
            try {
                // Each probe is a new process, so a new client port and a new flow, balanced afresh.
                reply = client.exec(Netns.javaMain(NetnsProbe.class, "udp", DNS_VIP, "53", "query")
                        .toArray(new String[0])).trim();
            } catch (IllegalStateException e) {
                return false;
            }
            // The client must see the Service address as the source, never a pod's.
            assertThat(reply).startsWith("source=" + DNS_VIP + ":53 ");
            assertThat(reply).matches("source=10\\.96\\.0\\.53:53 dns-[ab] from=10\\.244\\.[13]\\.1 query");
            answeredBy.add(reply.split(" ")[1]);
            return answeredBy.size() == 2;
        });
        assertThat(answeredBy).containsExactlyInAnyOrder("dns-a", "dns-b");
    }

    private String probeUntilAnswered(String host, int port, String message) {
        return client.probeUntilAnswered(host, port, message, "pod-a", () -> "agent log:\n" + Netns.readLog(tmp.resolve("agent.log")) + "\npod log:\n"
                + Netns.readLog(tmp.resolve("pod.log")));
    }
}
