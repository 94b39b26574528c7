package io.userspaceproxy.core.relay.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.userspaceproxy.core.listen.Transport;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.ConnectionLifecycle;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.testing.UdpEchoBackend;
import io.userspaceproxy.core.testing.UdpRelayHarness;
import io.userspaceproxy.core.testing.UdpTestClient;
import io.userspaceproxy.core.testing.UdpTestClient.Reply;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code hold-when-empty} for UDP over real loopback sockets: the first datagrams of a client that arrives while
 * the service port has no endpoint are kept and delivered in order once one comes; past the hold time, or past the
 * per-client byte bound, they are dropped and counted.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UdpHoldIT {

    private static final Duration REPLY = Duration.ofSeconds(5);
    private static final ServicePortName DNS = new ServicePortName("default", "dns", "udp", Protocol.UDP);
    private static final ListenerKey VIP = ListenerKey.of(Protocol.UDP, new InetSocketAddress("127.0.20.9", 0));

    @AutoClose
    private UdpRelayHarness proxy;

    private void start(Transport transport) {
        proxy = UdpRelayHarness.start(transport, UdpRelayOptions.DEFAULT);
    }

    private static Route route(Duration hold, UdpEchoBackend... backends) {
        List<Endpoint> endpoints = Arrays.stream(backends).map(UdpEchoBackend::endpoint).toList();
        return Route.of(DNS, FrontendKind.CLUSTER_IP, endpoints).withUdpIdleTimeout(Duration.ofSeconds(30))
                .withLifecycle(ConnectionLifecycle.DEFAULT.withHold(hold, 10));
    }

    private ServicePortCounters dns() {
        return proxy.counters(DNS);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void heldDatagrams_deliveredInOrder_onceAnEndpointComes(Transport transport) throws Exception {
        start(transport);
        try (UdpEchoBackend ep1 = proxy.echo("ep1");
                UdpTestClient client = UdpTestClient.bind("127.0.0.1")) {
            proxy.publish(Map.of(VIP, route(Duration.ofSeconds(30))));
            InetSocketAddress vip = proxy.bind(VIP);
            for (String payload : List.of("one", "two", "three")) {
                client.send(vip, payload);
            }
            await().until(() -> dns().udpDatagramsToBackend() == 0 && dns().held() == 1);
            assertThat(client.receive(Duration.ofMillis(200))).as("nothing answers yet").isEmpty();

            proxy.publish(Map.of(VIP, route(Duration.ofSeconds(30), ep1)));

            List<String> replies = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                replies.add(client.receive(REPLY).map(Reply::text).orElse("(none)"));
            }
            assertThat(replies).containsExactly("ep1:one", "ep1:two", "ep1:three");
            assertThat(client.exchange(vip, "after", REPLY).map(Reply::text)).hasValue("ep1:after");
            assertThat(dns().held()).isZero();
            assertThat(dns().holdDemand()).isEqualTo(1);
            assertThat(dns().udpFlowsOpened()).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void holdTimeEnds_datagramsDroppedAndCounted_theFlowSlotFreed(Transport transport) throws Exception {
        start(transport);
        try (UdpTestClient client = UdpTestClient.bind("127.0.0.1")) {
            proxy.publish(Map.of(VIP, route(Duration.ofMillis(300))));
            InetSocketAddress vip = proxy.bind(VIP);
            client.send(vip, "one");
            client.send(vip, "two");

            await().until(() -> dns().udpDatagramsDropped() == 2);
            assertThat(dns().held()).isZero();
            assertThat(proxy.flows().activeFlows()).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void pastTheBytesAClientMayKeep_laterDatagramsDropped(Transport transport) throws Exception {
        start(transport);
        try (UdpEchoBackend ep1 = proxy.echo("ep1");
                UdpTestClient client = UdpTestClient.bind("127.0.0.1")) {
            proxy.publish(Map.of(VIP, route(Duration.ofSeconds(30))));
            InetSocketAddress vip = proxy.bind(VIP);
            byte[] big = new byte[40 * 1024];
            client.send(vip, big);
            client.send(vip, big); // 80 KiB in all: over the 64 KiB a held client keeps
            await().until(() -> dns().udpDatagramsDropped() == 1);

            proxy.publish(Map.of(VIP, route(Duration.ofSeconds(30), ep1)));

            await().until(() -> ep1.datagramsReceived() == 1);
            assertThat(dns().udpDatagramsToBackend()).isEqualTo(1);
        }
    }
}
