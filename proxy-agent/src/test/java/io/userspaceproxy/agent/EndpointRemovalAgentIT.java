package io.userspaceproxy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.userspaceproxy.agent.testing.AgentProcess;
import io.userspaceproxy.agent.testing.Manifests;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPorts;
import io.userspaceproxy.core.testing.TcpTestClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code userspace-proxy.io/on-endpoint-removal: close} from outside the process: the packaged agent on a manifest
 * directory resets a client's open connection once an edit takes its endpoint out of the Service, and new
 * connections go to the endpoint that is left.
 */
@Timeout(90)
class EndpointRemovalAgentIT {

    @TempDir
    Path tmp;

    private Process agent;
    private TcpEchoServer a;
    private TcpEchoServer b;

    @AfterEach
    void tearDown() throws Exception {
        if (agent != null) {
            agent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        for (TcpEchoServer s : new TcpEchoServer[] {a, b}) {
            if (s != null) {
                s.close();
            }
        }
    }

    @Test
    void close_manifestEditRemovesTheEndpoint_itsOpenConnectionIsReset() throws Exception {
        a = new TcpEchoServer("a");
        b = new TcpEchoServer("b");
        InetSocketAddress vip = TcpPorts.freeAddress("127.0.45.1");
        Path manifests = Files.createDirectories(tmp.resolve("manifests"));
        String service = Manifests.service("test", "web", vip,
                Map.of("userspace-proxy.io/on-endpoint-removal", "close"));
        Path file = manifests.resolve("web.yaml");
        Files.writeString(file, service + "---\n" + Manifests.slices("test", "web", a.endpoint()));
        agent = AgentProcess.start(tmp.resolve("agent.log"), "--proxy-mode=userspace", "--manifests",
                manifests.toString(), "--min-sync-period", "0", "--healthz-bind-address", "127.0.0.1:0",
                "--metrics-bind-address", "127.0.0.1:0");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> firstLine(vip), "a"::equals);
        TcpTestClient open = TcpTestClient.connect(vip);
        assertThat(open.readLine()).isEqualTo("a");

        Files.writeString(file, service + "---\n" + Manifests.slices("test", "web", b.endpoint()));

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> ended(open));
        assertThat(firstLine(vip)).isEqualTo("b");
        open.close();
    }

    private static String firstLine(InetSocketAddress vip) {
        try (TcpTestClient c = TcpTestClient.connect(vip)) {
            return c.readLine();
        } catch (IOException e) {
            return null;
        }
    }

    private static boolean ended(TcpTestClient client) {
        try {
            client.writeLine("ping");
            client.readTimeout(Duration.ofMillis(200));
            String line = client.readLine();
            return line == null;
        } catch (SocketException reset) {
            return true;
        } catch (IOException timedOut) {
            return false;
        }
    }
}
