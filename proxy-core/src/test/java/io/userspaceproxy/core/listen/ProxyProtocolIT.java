package io.userspaceproxy.core.listen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.userspaceproxy.core.metrics.CloseReason;
import io.userspaceproxy.core.model.Cidr;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.ProxyProtocolOptions;
import io.userspaceproxy.core.model.ProxyProtocolOptions.Version;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteSnapshot;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.model.SessionAffinity;
import io.userspaceproxy.core.testing.ProxyFixture;
import io.userspaceproxy.core.testing.TcpCaptureServer;
import io.userspaceproxy.core.testing.TcpPorts;
import io.userspaceproxy.core.testing.TransportLeakCheck;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The PROXY protocol through a real listener set on loopback, once per transport: backends that get a v1 or v2
 * header naming the client and the address it dialled, then the client's bytes intact (again after a retry); and a
 * node-port route that trusts 127.0.0.0/8 to send a header, whose named client is the one source ranges, affinity
 * and the header sent on see, while a client that sends something else is closed alone and counted.
 */
@ExtendWith(TransportLeakCheck.class)
@ParameterizedClass
@EnumSource(Transport.class)
@Timeout(60)
class ProxyProtocolIT {

    private static final ServicePortName WEB = new ServicePortName("default", "web", "http", Protocol.TCP);
    private static final List<Cidr> LOOPBACK = List.of(Cidr.parse("127.0.0.0/8"));

    @RegisterExtension
    final ProxyFixture fixture;

    ProxyProtocolIT(Transport transport) {
        this.fixture = new ProxyFixture(transport);
    }

    @Test
    void sendV1_backendGetsTheClientAndTheDialledAddressFirst_thenTheBytes() throws Exception {
        TcpCaptureServer backend = fixture.add(new TcpCaptureServer("a"));
        ListenerKey key = serve("127.0.12.1", Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(backend.endpoint()))
                .withProxyProtocol(new ProxyProtocolOptions(Version.V1, List.of())));

        try (Socket client = new Socket(key.address().getAddress(), key.address().getPort())) {
            assertThat(exchange(client, "hello")).isEqualTo("a");
            assertThat(backend.next()).isEqualTo("PROXY TCP4 127.0.0.1 127.0.12.1 " + client.getLocalPort() + " "
                    + key.address().getPort() + "\r\nhello");
        }
    }

    @Test
    void sendV2_binaryHeaderDecodesToTheClient_retryOnTheNextEndpointSendsItAgain() throws Exception {
        TcpCaptureServer backend = fixture.add(new TcpCaptureServer("b"));
        ListenerKey key = serve("127.0.12.2", Route.of(WEB, FrontendKind.CLUSTER_IP,
                        List.of(TcpPorts.refusingEndpoint(), backend.endpoint()))
                .withProxyProtocol(new ProxyProtocolOptions(Version.V2, List.of())));

        try (Socket client = new Socket(key.address().getAddress(), key.address().getPort())) {
            assertThat(exchange(client, "hello")).isEqualTo("b");
            Decoded decoded = decode(backend.nextBytes());
            assertThat(decoded.header.proxiedProtocol()).isEqualTo(HAProxyProxiedProtocol.TCP4);
            assertThat(decoded.header.sourceAddress()).isEqualTo("127.0.0.1");
            assertThat(decoded.header.sourcePort()).isEqualTo(client.getLocalPort());
            assertThat(decoded.header.destinationAddress()).isEqualTo("127.0.12.2");
            assertThat(decoded.header.destinationPort()).isEqualTo(key.address().getPort());
            assertThat(decoded.rest).isEqualTo("hello");
            decoded.header.release();
        }
    }

    @Test
    void accept_headerNamesTheClient_forSourceRangesAndTheHeaderSentOn() throws Exception {
        TcpCaptureServer backend = fixture.add(new TcpCaptureServer("c"));
        ListenerKey key = serve("127.0.12.3", Route.of(WEB, FrontendKind.LOAD_BALANCER, List.of(backend.endpoint()))
                .withSourceRanges(List.of(Cidr.parse("192.0.2.0/24")))
                .withProxyProtocol(new ProxyProtocolOptions(Version.V1, LOOPBACK)));

        try (Socket inside = connect(key)) {
            assertThat(exchange(inside, "PROXY TCP4 192.0.2.7 203.0.113.9 5555 443\r\nhello")).isEqualTo("c");
            assertThat(backend.next()).isEqualTo("PROXY TCP4 192.0.2.7 203.0.113.9 5555 443\r\nhello");
        }
        try (Socket outside = connect(key)) {
            assertThat(exchangeOrReset(outside, "PROXY TCP4 198.51.100.1 203.0.113.9 5555 443\r\nhello")).isNull();
        }
        await().atMost(Duration.ofSeconds(5))
                .until(() -> fixture.counters().forServicePort(WEB).closes(CloseReason.SOURCE_RANGE_REJECTED) == 1);
        assertThat(fixture.proxy().connectionCount()).isZero();
    }

    @Test
    void accept_headerClientDrivesAffinity_twoNamedClientsEachKeepTheirEndpoint() throws Exception {
        TcpCaptureServer a = fixture.add(new TcpCaptureServer("a"));
        TcpCaptureServer b = fixture.add(new TcpCaptureServer("b"));
        ListenerKey key = serve("127.0.12.4", Route.of(WEB, FrontendKind.NODE_PORT, List.of(a.endpoint(), b.endpoint()))
                .withAffinity(SessionAffinity.clientIp(Duration.ofMinutes(5)))
                .withProxyProtocol(new ProxyProtocolOptions(Version.NONE, LOOPBACK)));

        StringBuilder answers = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            String named = i % 2 == 0 ? "192.0.2.1" : "192.0.2.2";
            try (Socket client = connect(key)) {
                answers.append(exchange(client, "PROXY TCP4 " + named + " 203.0.113.9 4000 80\r\nx"));
            }
        }

        assertThat(answers.toString()).as("by the socket's address all four would share one endpoint")
                .isIn("abab", "baba");
    }

    @Test
    void accept_malformedHeader_closesThatConnectionOnly_andCountsIt() throws Exception {
        TcpCaptureServer backend = fixture.add(new TcpCaptureServer("d"));
        ListenerKey key = serve("127.0.12.5", Route.of(WEB, FrontendKind.NODE_PORT, List.of(backend.endpoint()))
                .withProxyProtocol(new ProxyProtocolOptions(Version.NONE, LOOPBACK)));

        try (Socket bad = connect(key)) {
            assertThat(exchangeOrReset(bad, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")).isNull();
        }
        try (Socket good = connect(key)) {
            assertThat(exchange(good, "PROXY TCP4 192.0.2.1 203.0.113.9 4000 80\r\nafter the header")).isEqualTo("d");
        }

        assertThat(backend.next()).as("no header was sent on, only what followed it").isEqualTo("after the header");
        await().atMost(Duration.ofSeconds(5))
                .until(() -> fixture.counters().forServicePort(WEB).closes(CloseReason.PROXY_PROTOCOL_REJECTED) == 1);
        assertThat(backend.accepted()).as("the bad client never reached a backend").isEqualTo(1);
    }

    @Test
    void accept_openConnection_listedUnderTheClientTheHeaderNamed() throws Exception {
        TcpCaptureServer backend = fixture.add(new TcpCaptureServer("e"));
        ListenerKey key = serve("127.0.12.6", Route.of(WEB, FrontendKind.NODE_PORT, List.of(backend.endpoint()))
                .withProxyProtocol(new ProxyProtocolOptions(Version.NONE, LOOPBACK)));

        try (Socket client = connect(key)) {
            client.getOutputStream().write("PROXY TCP4 192.0.2.9 203.0.113.9 6000 80\r\nstill open".getBytes(
                    StandardCharsets.US_ASCII));
            await().atMost(Duration.ofSeconds(5)).until(() -> fixture.proxy().connections(10).stream()
                    .anyMatch(c -> c.connected() && c.client().equals(new InetSocketAddress("192.0.2.9", 6000))));
        }
    }

    @Test
    void accept_noHeaderInTime_closedAndCounted() throws Exception {
        TcpCaptureServer backend = fixture.add(new TcpCaptureServer("f"));
        ListenerKey key = serve("127.0.12.7", Route.of(WEB, FrontendKind.NODE_PORT, List.of(backend.endpoint()))
                .withProxyProtocol(new ProxyProtocolOptions(Version.NONE, LOOPBACK)));

        try (Socket silent = connect(key)) {
            silent.setSoTimeout(15_000);
            long started = System.nanoTime();
            assertThat(readOrReset(silent)).as("closed without an answer").isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofSeconds(4));
        }
        await().atMost(Duration.ofSeconds(5))
                .until(() -> fixture.counters().forServicePort(WEB).closes(CloseReason.PROXY_PROTOCOL_REJECTED) == 1);
        assertThat(backend.accepted()).isZero();
    }

    private static int readOrReset(Socket socket) throws IOException {
        try {
            return socket.getInputStream().read();
        } catch (SocketException reset) {
            return -1;
        }
    }

    private ListenerKey serve(String ip, Route route) {
        ListenerKey key = ListenerKey.of(Protocol.TCP, TcpPorts.freeAddress(ip));
        fixture.proxy().apply(new RouteSnapshot(Map.of(key, route)));
        return key;
    }

    private static Socket connect(ListenerKey key) throws IOException {
        Socket socket = new Socket(key.address().getAddress(), key.address().getPort());
        socket.setSoTimeout(10_000);
        return socket;
    }

    /** Sends {@code text}, ends the output, and reads the backend's whole answer. */
    private static String exchange(Socket socket, String text) throws IOException {
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        socket.shutdownOutput();
        return new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    }

    /** {@link #exchange}, or null when the proxy ended the connection with no answer (a reset, or nothing). */
    private static String exchangeOrReset(Socket socket, String text) throws IOException {
        try {
            String answer = exchange(socket, text);
            return answer.isEmpty() ? null : answer;
        } catch (SocketException reset) {
            return null;
        }
    }

    private record Decoded(HAProxyMessage header, String rest) {
    }

    /** What a PROXY-protocol-aware backend would see: the header, then the rest of the stream. */
    private static Decoded decode(byte[] received) {
        EmbeddedChannel channel = new EmbeddedChannel(new HAProxyMessageDecoder());
        channel.writeInbound(Unpooled.wrappedBuffer(received));
        HAProxyMessage header = channel.readInbound();
        StringBuilder rest = new StringBuilder();
        for (ByteBuf buf; (buf = channel.readInbound()) != null; ) {
            rest.append(buf.toString(StandardCharsets.US_ASCII));
            buf.release();
        }
        channel.finishAndReleaseAll();
        return new Decoded(header, rest.toString());
    }
}
