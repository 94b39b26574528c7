package io.userspaceproxy.core.listen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.metrics.CloseReason;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteSnapshot;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.relay.DirectMemoryGuard;
import io.userspaceproxy.core.testing.ProxyFixture;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPayload;
import io.userspaceproxy.core.testing.TcpPorts;
import io.userspaceproxy.core.testing.TcpTestClient;
import io.userspaceproxy.core.testing.TransportLeakCheck;
import io.userspaceproxy.core.testing.UdpTestClient;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A listener set whose direct memory reads as near its limit (an injected {@link DirectMemoryGuard}, 90 % of a
 * 1,000-byte budget) refuses new TCP connections and new UDP flows, counted as
 * {@link CloseReason#MEMORY_REJECTED}, keeps relaying what is already open, and admits newcomers again once the
 * memory is back below the threshold. Once per transport.
 */
@ExtendWith(TransportLeakCheck.class)
@ParameterizedClass
@EnumSource(Transport.class)
class DirectMemoryGuardIT {

    private static final ServicePortName WEB = new ServicePortName("default", "web", "http", Protocol.TCP);
    private static final ServicePortName DNS = new ServicePortName("kube-system", "dns", "dns", Protocol.UDP);
    private static final long BUDGET = 1_000;
    private static final long ABOVE = 950;
    private static final int PAYLOAD = 4 * 1024 * 1024;

    @RegisterExtension
    final ProxyFixture fixture;
    private final AtomicLong used = new AtomicLong();

    DirectMemoryGuardIT(Transport transport) {
        this.fixture = new ProxyFixture(transport);
    }

    @BeforeEach
    void setUp() {
        DirectMemoryGuard guard = DirectMemoryGuard.of(used::get, () -> BUDGET, 0.9);
        fixture.start(fixture.options().withMemoryGuard(guard), BalancerFactory.ROUND_ROBIN);
    }

    @Test
    @Timeout(60)
    void accept_aboveThreshold_refusesNewConnectionsButOpenOnesRelayEveryByte() throws Exception {
        TcpEchoServer backend = fixture.add(new TcpEchoServer("a"));
        ListenerKey key = ListenerKey.of(Protocol.TCP, TcpPorts.freeAddress("127.0.11.2"));
        fixture.proxy().apply(new RouteSnapshot(Map.of(key,
                Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(backend.endpoint())))));
        ServicePortCounters web = fixture.counters().forServicePort(WEB);
        TcpTestClient open = fixture.add(TcpTestClient.connect(key.address()));
        assertThat(open.readLine()).isEqualTo("a");

        used.set(ABOVE);

        assertThat(firstByteOrReset(key.address())).isEqualTo(-1);
        await().atMost(Duration.ofSeconds(5)).until(() -> web.closes(CloseReason.MEMORY_REJECTED) == 1);
        assertThat(web.connectionsOpened()).isEqualTo(1);

        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> writeAndFinish(open, PAYLOAD));
        assertThat(TcpPayload.readToEnd(open.input())).isEqualTo(TcpPayload.expected(PAYLOAD));
        writer.join();

        used.set(0);

        try (TcpTestClient admitted = TcpTestClient.connect(key.address())) {
            assertThat(admitted.readLine()).isEqualTo("a");
        }
        assertThat(web.closes(CloseReason.MEMORY_REJECTED)).isEqualTo(1);
    }

    @Test
    @Timeout(30)
    void newFlow_aboveThreshold_isRefusedAndCountedThenAdmittedBelowIt() throws Exception {
        DatagramSocket backend = fixture.add(new DatagramSocket(new InetSocketAddress("127.0.0.1", 0)));
        Thread echo = new Thread(() -> echoUntilClosed(backend), "udp-echo");
        echo.start();
        ListenerKey key = ListenerKey.of(Protocol.UDP, TcpPorts.freeAddress("127.0.11.3"));
        Endpoint endpoint = new Endpoint((InetSocketAddress) backend.getLocalSocketAddress());
        fixture.proxy().apply(new RouteSnapshot(Map.of(key, Route.of(DNS, FrontendKind.CLUSTER_IP, List.of(endpoint)))));
        ServicePortCounters dns = fixture.counters().forServicePort(DNS);
        UdpTestClient client = fixture.add(UdpTestClient.bind("127.0.0.1"));

        used.set(ABOVE);
        client.send(key.address(), "first");

        await().atMost(Duration.ofSeconds(5)).until(() -> dns.udpFlowsRejected() == 1);
        assertThat(dns.closes(CloseReason.MEMORY_REJECTED)).isEqualTo(1);
        assertThat(dns.udpFlowsOpened()).isZero();

        used.set(0);

        assertThat(client.exchange(key.address(), "second", Duration.ofSeconds(5)))
                .hasValueSatisfying(reply -> assertThat(reply.text()).isEqualTo("second"));
        assertThat(dns.udpFlowsOpened()).isEqualTo(1);
    }

    /**
     * The first byte the proxy sends on a new connection, or -1 when it ends or is reset first (the reset of a refused
     * client can arrive before {@code connect} returns, or at the first read).
     */
    private static int firstByteOrReset(InetSocketAddress address) throws IOException {
        try (TcpTestClient client = TcpTestClient.connect(address)) {
            return client.read();
        } catch (SocketException reset) {
            return -1;
        }
    }

    private static void writeAndFinish(TcpTestClient client, int length) {
        try {
            TcpPayload.write(client.output(), length);
            client.shutdownOutput();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Echoes every datagram back to its sender until the socket is closed (at tear-down). */
    private static void echoUntilClosed(DatagramSocket socket) {
        byte[] buffer = new byte[2048];
        while (!socket.isClosed()) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                socket.receive(packet);
                socket.send(new DatagramPacket(packet.getData(), packet.getLength(), packet.getSocketAddress()));
            } catch (IOException closed) {
                return;
            }
        }
    }
}
