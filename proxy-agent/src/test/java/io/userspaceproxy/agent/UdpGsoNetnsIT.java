package io.userspaceproxy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.userspaceproxy.agent.testing.Netns;
import io.userspaceproxy.agent.testing.NetnsEchoServer;
import io.userspaceproxy.core.listen.Transport;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.relay.udp.UdpRelayOptions;
import io.userspaceproxy.core.testing.UdpRelayHarness;
import io.userspaceproxy.core.testing.UdpTestClient;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GSO run the kernel refuses, for real: the endpoint sits in a namespace behind a veth whose MTU (1,000) is below
 * the relay's largest run segment, so a run of 1,100-byte datagrams gets {@code EMSGSIZE} (after a run of 900-byte
 * ones has passed). Each datagram must still reach the endpoint (sent one by one, fragmented by the kernel as any
 * datagram over the MTU is), in the order sent, and the refusal must be counted. The relay runs in this JVM; its
 * backend sockets reach the namespace over the veth.
 */
@Tag("netns")
@Timeout(120)
class UdpGsoNetnsIT {

    private static final ServicePortName DNS = new ServicePortName("kube-system", "dns", "dns", Protocol.UDP);
    private static final ListenerKey VIP = ListenerKey.of(Protocol.UDP, new InetSocketAddress("127.0.72.1", 0));
    private static final String ROOT_IP = "10.255.71.1";
    private static final String POD_IP = "10.255.71.2";
    private static final int PORT = 5353;

    @TempDir
    Path tmp;

    private Netns pod;
    private UdpRelayHarness proxy;

    @BeforeEach
    void setUp() throws Exception {
        Netns.assumeAvailable();
        pod = Netns.create("usp-gso");
        String rootIf = "ugso" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xffff));
        Netns.linkFromRoot(rootIf, ROOT_IP + "/30", pod, "eth0", POD_IP + "/30", 1_000);
        pod.spawn(Netns.javaMain(NetnsEchoServer.class, "udp", POD_IP, String.valueOf(PORT), "pod"),
                tmp.resolve("pod.log"));
        proxy = UdpRelayHarness.start(Transport.EPOLL, UdpRelayOptions.DEFAULT);
    }

    @AfterEach
    void tearDown() {
        if (proxy != null) {
            proxy.close();
        }
        if (pod != null) {
            pod.close();
        }
    }

    @Test
    void runRefusedForTheMtu_everyDatagramStillArrivesInOrder() throws Exception {
        proxy.publish(Map.of(VIP, Route.of(DNS, FrontendKind.CLUSTER_IP,
                List.of(new Endpoint(new InetSocketAddress(POD_IP, PORT)))).withUdpIdleTimeout(Duration.ofSeconds(30))));
        InetSocketAddress vip = proxy.bind(VIP);
        long flowsBefore;
        // A run of 900 bytes fits the MTU (and proves that size); one of 1,100 does not, and what follows it must
        // still come after it.
        int[] sizes = {900, 900, 900, 1_100, 1_100, 1_100, 1_100, 1_200, 900, 900, 40, 1_100, 1_100};
        List<String> burst = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            String number = i + ":";
            burst.add(number + String.valueOf((char) ('a' + i)).repeat(sizes[i] - number.length()));
        }
        try (UdpTestClient client = UdpTestClient.bind("127.0.0.1")) {
            // The endpoint's JVM is still starting: ask until it answers.
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() ->
                    client.exchange(vip, "hello", Duration.ofMillis(200)).isPresent());
            while (client.receive(Duration.ofMillis(300)).isPresent()) {
                // late answers to earlier hellos
            }
            // Hellos sent before the endpoint listened met ICMP port unreachable, which ends a flow: count from here.
            flowsBefore = proxy.counters(DNS).udpFlowsOpened();

            proxy.sendWhileLoopsBusy(client, vip, burst);

            List<String> replies = new ArrayList<>();
            for (int i = 0; i < burst.size(); i++) {
                replies.add(client.receive(Duration.ofSeconds(5)).orElseThrow(() -> new AssertionError(
                        replies.size() + " replies of " + burst.size() + "; pod log:\n"
                                + Netns.readLog(tmp.resolve("pod.log")))).text());
            }
            assertThat(replies).containsExactlyElementsOf(
                    burst.stream().map(payload -> "pod from=" + ROOT_IP + " " + payload).toList());
        }
        assertThat(proxy.flows().refusedRuns()).as("runs the kernel refused for the MTU").isPositive();
        assertThat(proxy.counters(DNS).udpDatagramsDropped()).isZero();
        assertThat(proxy.counters(DNS).udpFlowsOpened()).as("the flow outlived the refusal").isEqualTo(flowsBefore);
    }
}
