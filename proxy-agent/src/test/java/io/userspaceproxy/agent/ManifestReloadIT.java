package io.userspaceproxy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.userspaceproxy.agent.testing.ManifestAgent;
import io.userspaceproxy.agent.testing.Manifests;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPorts;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local dev proxy as a developer edits its directory: an edited file re-routes new connections without breaking
 * the open one, a broken edit changes nothing, and a deleted file's Service port refuses new clients.
 */
@Timeout(60)
class ManifestReloadIT {

    @TempDir
    Path tmp;

    @Test
    void editBreakDelete_newConnectionsFollowTheFileWhileTheOpenOneKeepsItsEndpoint() throws Exception {
        InetSocketAddress vip = TcpPorts.freeAddress("127.0.60.1");
        Path file = tmp.resolve("web.yaml");
        try (TcpEchoServer a = new TcpEchoServer("a"); TcpEchoServer b = new TcpEchoServer("b")) {
            Files.writeString(file, Manifests.serviceWithEndpoints("dev", "web", vip, a.endpoint()));
            try (ProxyAgent agent = ManifestAgent.start(tmp);
                    Socket open = new Socket()) {
                open.connect(vip, 5000);
                open.setSoTimeout(5000);
                assertThat(readLine(open.getInputStream())).isEqualTo("a");

                Files.writeString(file, Manifests.serviceWithEndpoints("dev", "web", vip, b.endpoint()));
                await().atMost(Duration.ofSeconds(3)).until(() -> "b".equals(greeting(vip)));
                assertThat(echo(open, "still here")).as("the open connection keeps endpoint a").isEqualTo("still here");

                Files.writeString(file, "apiVersion: v1\nkind: Service\nmetadata: {name: web\n");
                await().atMost(Duration.ofSeconds(3)).until(() -> agent.metrics().registry().scrape().stream()
                        .anyMatch(m -> m.getMetadata().getName().equals("userspace_proxy_invalid_objects")));
                assertThat(greeting(vip)).as("a broken edit keeps the last good state").isEqualTo("b");

                Files.delete(file);
                await().atMost(Duration.ofSeconds(3)).until(() -> refused(vip));
                assertThat(echo(open, "after delete")).isEqualTo("after delete");
            }
        }
    }

    private static String greeting(InetSocketAddress vip) {
        try (Socket s = new Socket()) {
            s.connect(vip, 2000);
            s.setSoTimeout(2000);
            return readLine(s.getInputStream());
        } catch (IOException e) {
            return "error: " + e.getMessage();
        }
    }

    private static boolean refused(InetSocketAddress vip) {
        try (Socket s = new Socket()) {
            s.connect(vip, 2000);
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return e instanceof SocketException;
        }
    }

    private static String echo(Socket s, String line) throws IOException {
        s.getOutputStream().write((line + "\n").getBytes(StandardCharsets.US_ASCII));
        return readLine(s.getInputStream());
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            sb.append((char) c);
        }
        return sb.toString();
    }
}
