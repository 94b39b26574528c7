package io.userspaceproxy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.userspaceproxy.agent.testing.AgentProcess;
import io.userspaceproxy.agent.testing.Manifests;
import io.userspaceproxy.core.testing.TcpCaptureServer;
import io.userspaceproxy.core.testing.TcpPorts;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
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
 * The PROXY protocol annotations from outside the process: the packaged agent on a manifest directory sends a v1
 * header to the backend of an annotated Service, and a Service whose annotation cannot be read is refused, named
 * in the log, while the other keeps serving.
 */
@Timeout(90)
class ProxyProtocolAgentIT {

    @TempDir
    Path tmp;

    private Process agent;
    private TcpCaptureServer backend;

    @AfterEach
    void tearDown() throws Exception {
        if (agent != null) {
            agent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void annotatedService_backendGetsTheHeader_badAnnotationRefusedAlone() throws Exception {
        backend = new TcpCaptureServer("pod");
        InetSocketAddress vip = TcpPorts.freeAddress("127.0.44.1");
        InetSocketAddress broken = TcpPorts.freeAddress("127.0.44.2");
        Path manifests = Files.createDirectories(tmp.resolve("manifests"));
        Files.writeString(manifests.resolve("web.yaml"),
                Manifests.service("test", "web", vip, Map.of("userspace-proxy.io/proxy-protocol", "v1"))
                        + "---\n" + Manifests.slices("test", "web", backend.endpoint()));
        Files.writeString(manifests.resolve("broken.yaml"),
                Manifests.service("test", "broken", broken, Map.of("userspace-proxy.io/proxy-protocol", "v9"))
                        + "---\n" + Manifests.slices("test", "broken", backend.endpoint()));
        agent = AgentProcess.start(tmp.resolve("agent.log"), "--proxy-mode=userspace", "--manifests",
                manifests.toString(), "--min-sync-period", "0", "--healthz-bind-address", "127.0.0.1:0",
                "--metrics-bind-address", "127.0.0.1:0");

        String answer = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> exchange(vip, "hello"), "pod"::equals);

        assertThat(answer).isEqualTo("pod");
        String received = backend.next();
        assertThat(received).matches("PROXY TCP4 127\\.0\\.0\\.1 127\\.0\\.44\\.1 \\d+ " + vip.getPort()
                + "\r\nhello");
        assertThat(AgentProcess.log(tmp.resolve("agent.log")))
                .contains("metadata.annotations[\"userspace-proxy.io/proxy-protocol\"]: \"v9\" (expected: v1 or v2)");
        assertThat(exchange(broken, "hello")).as("the broken Service is not served").isNull();
    }

    /** Sends {@code text}, ends the output, returns the whole answer; null when nothing listens or answers. */
    private static String exchange(InetSocketAddress target, String text) {
        try (Socket socket = new Socket(target.getAddress(), target.getPort())) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
            socket.shutdownOutput();
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            return answer.isEmpty() ? null : answer;
        } catch (IOException e) {
            return null;
        }
    }
}
