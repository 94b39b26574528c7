package io.userspaceproxy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.userspaceproxy.agent.testing.AgentProcess;
import io.userspaceproxy.agent.testing.ManifestAgent;
import io.userspaceproxy.agent.testing.Manifests;
import io.userspaceproxy.agent.testing.NoIoUring;
import io.userspaceproxy.core.listen.Transport;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPorts;
import io.userspaceproxy.core.testing.TcpTestClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code --transport} reaches the data plane: the agent's listeners run on the transport named, and relay there; and
 * {@code auto} (the default) takes io_uring where the kernel lets it, epoll, saying why, where a seccomp profile
 * refuses io_uring as container runtimes' defaults do.
 */
@Timeout(60)
class TransportChoiceIT {

    @TempDir
    Path tmp;

    private final List<Process> agents = new ArrayList<>();

    @AfterEach
    void tearDown() throws InterruptedException {
        for (Process p : agents) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void transportFlag_listenersRunOnIt_andRelay(Transport transport) throws Exception {
        assumeTrue(transport.isAvailable(), () -> transport + " unavailable: " + transport.unavailabilityCause());
        InetSocketAddress vip = TcpPorts.freeAddress("127.0.64.1");
        try (TcpEchoServer pod = new TcpEchoServer("pod")) {
            Files.writeString(tmp.resolve("web.yaml"), Manifests.serviceWithEndpoints("dev", "web", vip,
                    pod.endpoint()));
            try (ProxyAgent agent = ManifestAgent.start(tmp, "--transport", transport.name().toLowerCase(Locale.ROOT));
                    TcpTestClient client = TcpTestClient.connect(vip)) {
                assertThat(agent.listeners().transport()).isEqualTo(transport);
                assertThat(client.readLine()).isEqualTo("pod");
                assertThat(client.writeLine("over " + transport).readLine()).isEqualTo("over " + transport);
            }
        }
    }

    @Test
    void auto_ioUringAndEpollLoad_servesOnIoUring() throws Exception {
        assumeTrue(Transport.IO_URING.isAvailable() && Transport.EPOLL.isAvailable(),
                () -> "io_uring and epoll do not both load here: " + Transport.IO_URING.unavailabilityCause());
        InetSocketAddress vip = TcpPorts.freeAddress("127.0.64.2");
        try (TcpEchoServer pod = new TcpEchoServer("pod")) {
            Files.writeString(tmp.resolve("web.yaml"), Manifests.serviceWithEndpoints("dev", "web", vip,
                    pod.endpoint()));
            try (ProxyAgent agent = ManifestAgent.start(tmp);
                    TcpTestClient client = TcpTestClient.connect(vip)) {
                assertThat(agent.listeners().transport()).isEqualTo(Transport.IO_URING);
                assertThat(client.readLine()).isEqualTo("pod");
            }
        }
    }

    /** The DaemonSet's case: RuntimeDefault refuses io_uring, and the agent must serve on epoll rather than exit. */
    @Test
    void auto_seccompRefusesIoUring_servesOnEpollAndLogsWhy() throws Exception {
        NoIoUring.assumeAvailable();
        assumeTrue(Transport.EPOLL.isAvailable(), () -> "epoll unavailable: " + Transport.EPOLL.unavailabilityCause());
        InetSocketAddress vip = TcpPorts.freeAddress("127.0.64.3");
        try (TcpEchoServer pod = new TcpEchoServer("pod")) {
            Files.writeString(tmp.resolve("web.yaml"), Manifests.serviceWithEndpoints("dev", "web", vip,
                    pod.endpoint()));
            Path log = startWithoutIoUring();

            await().atMost(Duration.ofSeconds(30)).until(() -> serves(vip));
            assertThat(AgentProcess.log(log))
                    .contains("epoll transport, source")
                    .contains("io_uring is not used here, so epoll serves: ")
                    .contains("Operation not permitted")
                    .doesNotContain("\tat ");
        }
    }

    @Test
    void ioUringNamed_seccompRefusesIt_exitsNamingWhy() throws Exception {
        NoIoUring.assumeAvailable();
        Path log = startWithoutIoUring("--transport", "io_uring");

        Process agent = agents.get(0);
        assertThat(agent.waitFor(30, TimeUnit.SECONDS)).as("the agent exits").isTrue();
        assertThat(agent.exitValue()).isEqualTo(2);
        assertThat(AgentProcess.log(log)).contains("error: --transport: transport io_uring is not available")
                .contains("Operation not permitted");
    }

    /**
     * Java 24 and later warn when a class path library loads native code or links a native function (Netty's
     * transport, the splice pipes' {@code fcntl}) unless native access was granted: the jar grants it in its manifest,
     * so {@code java -jar} as the README runs it starts clean. The warning itself only shows on such a JDK (CI runs the
     * tests on Java 25 too); the manifest is checked on every one.
     */
    @Test
    void packagedJar_grantsNativeAccess_startsWithoutTheJvmsWarning() throws Exception {
        try (JarFile jar = new JarFile(AgentProcess.jar().toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Enable-Native-Access")).isEqualTo("ALL-UNNAMED");
        }
        InetSocketAddress vip = TcpPorts.freeAddress("127.0.64.4");
        try (TcpEchoServer pod = new TcpEchoServer("pod")) {
            Files.writeString(tmp.resolve("web.yaml"), Manifests.serviceWithEndpoints("dev", "web", vip,
                    pod.endpoint()));
            Path log = tmp.resolve("agent-plain.log");
            agents.add(AgentProcess.start(log, "--manifests", tmp.toString(),
                    "--healthz-bind-address", "127.0.0.1:0", "--metrics-bind-address", "127.0.0.1:0"));

            await().atMost(Duration.ofSeconds(30)).until(() -> serves(vip));
            assertThat(AgentProcess.log(log)).contains("userspace-proxy starting").doesNotContain("restricted method");
        }
    }

    private Path startWithoutIoUring(String... extraArgs) throws IOException {
        Path log = tmp.resolve("agent-" + agents.size() + ".log");
        List<String> args = new ArrayList<>(List.of("--manifests", tmp.toString(),
                "--healthz-bind-address", "127.0.0.1:" + TcpPorts.freeAddress("127.0.0.1").getPort(),
                "--metrics-bind-address", "127.0.0.1:" + TcpPorts.freeAddress("127.0.0.1").getPort()));
        args.addAll(List.of(extraArgs));
        agents.add(new ProcessBuilder(NoIoUring.wrap(AgentProcess.command(args.toArray(String[]::new))))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start());
        return log;
    }

    private static boolean serves(InetSocketAddress vip) {
        try (TcpTestClient c = TcpTestClient.connect(vip)) {
            return "pod".equals(c.readLine());
        } catch (IOException e) {
            return false;
        }
    }
}
