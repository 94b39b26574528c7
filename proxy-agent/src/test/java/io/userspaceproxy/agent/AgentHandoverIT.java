package io.userspaceproxy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.userspaceproxy.agent.testing.AgentProcess;
import io.userspaceproxy.agent.testing.Manifests;
import io.userspaceproxy.core.listen.Transport;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPorts;
import io.userspaceproxy.core.testing.TcpTestClient;
import io.userspaceproxy.core.testing.UdpEchoBackend;
import io.userspaceproxy.core.testing.UdpTestClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Upgrades with the packaged agent as real processes on loopback, on the default transport and across transports: a
 * second agent started with the same command line takes over the first one's listening sockets (TCP and UDP) and
 * then its health and metrics ports, while the first drains its open connection and exits 0; and a hand-over that
 * cannot happen leaves the second agent binding beside the first, as before. That queued connections survive the
 * hand-over is shown in core's SocketHandoverIT, where the old listener's accepts can be paused.
 */
@Timeout(120)
class AgentHandoverIT {

    @TempDir
    Path tmp;

    private final List<Process> agents = new ArrayList<>();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private EventLoopGroup udpGroup;
    private TcpEchoServer backend;
    private InetSocketAddress vip;
    private InetSocketAddress udpVip;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(Epoll.isAvailable(), "the hand-over needs epoll");
        backend = new TcpEchoServer("backend");
        udpGroup = Transport.EPOLL.newEventLoopGroup(1);
        UdpEchoBackend udp = UdpEchoBackend.start("udp", udpGroup, Transport.EPOLL);
        resources.add(udp);
        vip = TcpPorts.freeAddress("127.0.41.1");
        udpVip = TcpPorts.freeAddress("127.0.41.1");
        Files.writeString(tmp.resolve("svc.yaml"), Manifests.serviceWithEndpoints("test", "web", vip,
                backend.endpoint()));
        Files.writeString(tmp.resolve("dns.yaml"), """
                apiVersion: v1
                kind: Service
                metadata: {name: dns, namespace: test}
                spec:
                  clusterIP: %s
                  ports: [{name: dns, protocol: UDP, port: %d, targetPort: 1}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: dns-1, namespace: test, labels: {kubernetes.io/service-name: dns}}
                addressType: IPv4
                ports: [{name: dns, protocol: UDP, port: %d}]
                endpoints: [{addresses: ["127.0.0.1"]}]
                """.formatted(udpVip.getAddress().getHostAddress(), udpVip.getPort(),
                udp.endpoint().address().getPort()));
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Process p : agents) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        for (AutoCloseable r : resources) {
            r.close();
        }
        if (udpGroup != null) {
            udpGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private Process startAgent(String name, int healthPort, int metricsPort, String handoverSocket)
            throws IOException {
        return startAgent(name, healthPort, metricsPort, handoverSocket, "auto");
    }

    private Process startAgent(String name, int healthPort, int metricsPort, String handoverSocket, String transport)
            throws IOException {
        Process p = AgentProcess.start(tmp.resolve(name + ".log"), "--proxy-mode=userspace", "--manifests",
                tmp.toString(), "--min-sync-period", "0", "--drain-timeout", "60s", "--v=2",
                "--healthz-bind-address", "127.0.0.1:" + healthPort,
                "--metrics-bind-address", "127.0.0.1:" + metricsPort,
                "--handover-socket", handoverSocket, "--transport", transport);
        agents.add(p);
        return p;
    }

    private String log(String name) throws IOException {
        return AgentProcess.log(tmp.resolve(name + ".log"));
    }

    private boolean serves() {
        try (TcpTestClient c = TcpTestClient.connect(vip)) {
            return "backend".equals(c.readLine());
        } catch (IOException e) {
            return false;
        }
    }

    private static String get(int port, String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return r.statusCode() + " " + r.body();
    }

    private static long counter(int metricsPort, String prefix) throws Exception {
        return get(metricsPort, "/metrics").lines().filter(l -> l.startsWith(prefix))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** Also across transports: a kernel socket belongs to neither, so an upgrade may change it (or its default). */
    @ParameterizedTest(name = "{0} to {1}")
    @CsvSource({"auto, auto", "epoll, io_uring", "io_uring, epoll"})
    void upgrade_sameCommandLine_newAgentTakesOverSocketsAndPortsWhileTheOldOneDrains(String from, String to)
            throws Exception {
        for (String transport : List.of(from, to)) {
            Transport t = Transport.parse(transport);
            assumeTrue(t.isAvailable(), () -> transport + " unavailable: " + t.unavailabilityCause());
        }
        int health = TcpPorts.freeAddress("127.0.0.1").getPort();
        int metrics = TcpPorts.freeAddress("127.0.0.1").getPort();
        String socket = tmp.resolve("handover.sock").toString();
        Process first = startAgent("first", health, metrics, socket, from);
        await().atMost(Duration.ofSeconds(30)).until(this::serves);
        try (TcpTestClient open = TcpTestClient.connect(vip);
                UdpTestClient udp = UdpTestClient.bind("127.0.0.1")) {
            assertThat(open.readLine()).isEqualTo("backend");
            assertThat(udp.exchange(udpVip, "before", Duration.ofSeconds(5))).map(UdpTestClient.Reply::text)
                    .hasValue("udp:before");

            startAgent("second", health, metrics, socket, to);

            await().atMost(Duration.ofSeconds(30)).until(() -> log("first").contains("took over every listening"));
            // Each side logs its own end of the exchange: the new agent's line may come a moment after the old's.
            await().atMost(Duration.ofSeconds(10)).until(() -> log("second").contains("took over from the agent"));
            assertThat(log("second")).contains("received 4 listening socket(s) from the running agent")
                    .contains(Transport.parse(to) == Transport.IO_URING ? "io_uring transport (UDP on epoll)"
                            : "epoll transport, source");
            await().atMost(Duration.ofSeconds(10)).until(() -> log("second").contains("serving /metrics"));
            assertThat(log("second")).doesNotContain("running without", "cannot take over");
            for (int i = 0; i < 10; i++) {
                assertThat(serves()).isTrue();
            }
            assertThat(counter(metrics, "userspace_proxy_connections_total{")).as("the new agent's count")
                    .isEqualTo(10);
            assertThat(get(health, "/healthz")).startsWith("200 ");
            assertThat(udp.exchange(udpVip, "after", Duration.ofSeconds(5))).map(UdpTestClient.Reply::text)
                    .hasValue("udp:after");
            assertThat(first.isAlive()).as("draining the open connection").isTrue();
            assertThat(open.writeLine("still relayed by the first agent").readLine())
                    .isEqualTo("still relayed by the first agent");
        }
        assertThat(first.waitFor(20, TimeUnit.SECONDS)).as("exits once its last connection ended").isTrue();
        assertThat(first.exitValue()).isZero();
        assertThat(log("first")).contains("draining: stopped accepting");
    }

    @Test
    void sigterm_drainingAgent_stopsOfferingItsSocketsSoTheNextOneBindsBeside() throws Exception {
        Path socket = tmp.resolve("handover.sock");
        Process first = startAgent("first", 0, TcpPorts.freeAddress("127.0.0.1").getPort(), socket.toString());
        await().atMost(Duration.ofSeconds(30)).until(() -> serves() && Files.exists(socket));
        try (TcpTestClient open = TcpTestClient.connect(vip)) {
            assertThat(open.readLine()).isEqualTo("backend");

            first.destroy(); // SIGTERM: the open connection keeps it draining
            await().atMost(Duration.ofSeconds(10)).until(() -> log("first").contains("draining: stopped accepting"));
            assertThat(socket).doesNotExist();
            startAgent("second", 0, TcpPorts.freeAddress("127.0.0.1").getPort(), socket.toString());

            await().atMost(Duration.ofSeconds(30)).until(() -> log("second").contains("listening on TCP "
                    + vip.getAddress().getHostAddress()));
            assertThat(log("second")).doesNotContain("received", "cannot take over");
            assertThat(serves()).isTrue();
            assertThat(first.isAlive()).isTrue();
        }
        assertThat(first.waitFor(20, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void upgrade_handoverImpossible_newAgentBindsBesideTheOldOneAndCountsIt() throws Exception {
        Process first = startAgent("first", 0, TcpPorts.freeAddress("127.0.0.1").getPort(), "none");
        await().atMost(Duration.ofSeconds(30)).until(this::serves);
        Path stale = Files.createFile(tmp.resolve("stale.sock"));
        int metrics = TcpPorts.freeAddress("127.0.0.1").getPort();

        startAgent("second", 0, metrics, stale.toString());
        await().atMost(Duration.ofSeconds(30)).until(() -> log("second").contains("listening on TCP "
                + vip.getAddress().getHostAddress()));
        first.destroy();
        await().atMost(Duration.ofSeconds(10)).until(() -> log("first").contains("draining: stopped accepting"));

        for (int i = 0; i < 10; i++) {
            assertThat(serves()).isTrue();
        }
        assertThat(log("second")).contains("cannot take over the running agent's sockets through " + stale);
        assertThat(counter(metrics, "userspace_proxy_handover_failures_total")).isEqualTo(1);
        assertThat(counter(metrics, "userspace_proxy_connections_total{")).isEqualTo(10);
        assertThat(first.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(first.exitValue()).isZero();
    }
}
