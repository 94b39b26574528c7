package io.userspaceproxy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.userspaceproxy.agent.testing.AgentProcess;
import io.userspaceproxy.agent.testing.Manifests;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPorts;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
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
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM and upgrades, with the packaged agent as a real process on loopback: open connections outlive the
 * listeners and finish inside the drain timeout, and a second agent bound beside a draining one (SO_REUSEPORT)
 * takes every new connection.
 */
@Timeout(120)
class AgentDrainIT {

    @TempDir
    Path tmp;

    private final List<Process> agents = new ArrayList<>();
    private TcpEchoServer backend;
    private InetSocketAddress vip;

    @BeforeEach
    void setUp() throws IOException {
        backend = new TcpEchoServer("backend");
        vip = TcpPorts.freeAddress("127.0.40.1");
        Files.writeString(tmp.resolve("svc.yaml"), Manifests.serviceWithEndpoints("test", "drain", vip,
                backend.endpoint()));
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Process p : agents) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        backend.close();
    }

    private Process startAgent(String name, int metricsPort) throws IOException {
        Process p = AgentProcess.start(tmp.resolve(name + ".log"), "--proxy-mode=userspace", "--manifests",
                tmp.toString(), "--min-sync-period", "0", "--drain-timeout", "60s", "--v=2",
                "--healthz-bind-address", "127.0.0.1:0",
                "--metrics-bind-address", "127.0.0.1:" + metricsPort);
        agents.add(p);
        return p;
    }

    private String log(String name) throws IOException {
        return AgentProcess.log(tmp.resolve(name + ".log"));
    }

    /** Connects through the VIP and reads the backend's greeting; the socket stays open for the caller. */
    private Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(vip, 2000);
        s.setSoTimeout(10_000);
        assertThat(readLine(s.getInputStream())).isEqualTo("backend");
        return s;
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            sb.append((char) c);
        }
        return c < 0 && sb.length() == 0 ? null : sb.toString();
    }

    private static boolean refused(InetSocketAddress address) {
        try (Socket s = new Socket()) {
            s.connect(address, 1000);
            s.setSoTimeout(2000);
            return s.getInputStream().read() < 0;
        } catch (ConnectException e) {
            return true;
        } catch (SocketException e) {
            return e.getMessage() != null && e.getMessage().contains("reset");
        } catch (IOException e) {
            return false;
        }
    }

    /** Sends {@code size} random bytes over an open echo connection, reading the echo concurrently; returns CRCs. */
    private static long[] echoTransfer(Socket s, int size) throws Exception {
        byte[] data = new byte[size];
        new Random(42).nextBytes(data);
        CRC32 sent = new CRC32();
        sent.update(data);
        CompletableFuture<Long> received = CompletableFuture.supplyAsync(() -> {
            try {
                CRC32 crc = new CRC32();
                byte[] buf = new byte[64 * 1024];
                DataInputStream in = new DataInputStream(s.getInputStream());
                int left = size;
                while (left > 0) {
                    int n = in.read(buf, 0, Math.min(buf.length, left));
                    if (n < 0) {
                        break;
                    }
                    crc.update(buf, 0, n);
                    left -= n;
                }
                return left == 0 ? crc.getValue() : -1L;
            } catch (IOException e) {
                return -2L;
            }
        });
        OutputStream out = s.getOutputStream();
        for (int off = 0; off < size; off += 64 * 1024) {
            out.write(data, off, Math.min(64 * 1024, size - off));
        }
        out.flush();
        return new long[] {sent.getValue(), received.get(60, TimeUnit.SECONDS)};
    }

    @Test
    void sigterm_openConnection_isDrainedWhileNewOnesAreRefusedThenExitsZero() throws Exception {
        Process agent = startAgent("agent", TcpPorts.freeAddress("127.0.0.1").getPort());
        await().atMost(Duration.ofSeconds(30)).until(() -> !refused(vip));
        try (Socket open = connect()) {
            agent.destroy(); // SIGTERM

            await().atMost(Duration.ofSeconds(10)).until(() -> refused(vip));
            long[] crc = echoTransfer(open, 32 * 1024 * 1024);
            assertThat(crc[1]).as("the 32 MiB echo after SIGTERM arrived intact").isEqualTo(crc[0]);
            assertThat(agent.isAlive()).as("still draining while a connection is open").isTrue();
        }

        assertThat(agent.waitFor(20, TimeUnit.SECONDS)).as("exits once the last connection ended").isTrue();
        assertThat(agent.exitValue()).isZero();
        assertThat(log("agent")).contains("draining: stopped accepting");
    }

    @Test
    void upgrade_secondAgentBesideDrainingOne_takesEveryNewConnection() throws Exception {
        Process first = startAgent("first", TcpPorts.freeAddress("127.0.0.1").getPort());
        await().atMost(Duration.ofSeconds(30)).until(() -> !refused(vip));
        try (Socket open = connect()) {
            int secondMetrics = TcpPorts.freeAddress("127.0.0.1").getPort();
            startAgent("second", secondMetrics);
            // A line per listener bound: at --v=2, as in kube-proxy; the default level logs a summary per sync.
            await().atMost(Duration.ofSeconds(30)).until(() -> log("second").contains("listening on TCP " + vip
                    .getAddress().getHostAddress()));

            first.destroy(); // SIGTERM: the first agent closes its listeners and drains
            await().atMost(Duration.ofSeconds(10)).until(() -> log("first").contains("draining: stopped accepting"));

            for (int i = 0; i < 20; i++) {
                try (Socket s = connect()) {
                    s.shutdownOutput();
                    assertThat(readLine(s.getInputStream())).isNull();
                }
            }
            assertThat(connectionsTotal(secondMetrics)).isEqualTo(20);
            assertThat(echoTransfer(open, 1024 * 1024)).satisfies(crc -> assertThat(crc[1]).isEqualTo(crc[0]));
        }
        assertThat(first.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(first.exitValue()).isZero();
    }

    private static long connectionsTotal(int metricsPort) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return r.body().lines()
                .filter(l -> l.startsWith("userspace_proxy_connections_total{") && l.contains("test/drain:tcp"))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    /**
     * SIGTERM ends the JVM the ordinary way once the drain is over, so every shutdown hook runs: here JFR's, which
     * writes the recording at exit. An agent that halted the JVM from its own hook would skip it (and logging's).
     */
    @Test
    void sigterm_exitRunsEveryShutdownHook() throws Exception {
        Path recording = tmp.resolve("exit.jfr");
        Process agent = AgentProcess.start(tmp.resolve("hooks.log"),
                List.of("-XX:StartFlightRecording=dumponexit=true,filename=" + recording),
                "--proxy-mode=userspace", "--manifests", tmp.toString(), "--healthz-bind-address", "127.0.0.1:0",
                "--metrics-bind-address", "127.0.0.1:0");
        agents.add(agent);
        await().atMost(Duration.ofSeconds(30)).until(() -> !refused(vip));

        agent.destroy();

        assertThat(agent.waitFor(15, TimeUnit.SECONDS)).isTrue();
        assertThat(agent.exitValue()).isZero();
        assertThat(recording).as("written by JFR's shutdown hook").isNotEmptyFile();
        assertThat(AgentProcess.log(tmp.resolve("hooks.log"))).contains("SIGTERM: draining, then exiting",
                "userspace-proxy stopped");
    }

    @Test
    void sigterm_noConnections_exitsZeroPromptly() throws Exception {
        Process agent = startAgent("idle", TcpPorts.freeAddress("127.0.0.1").getPort());
        await().atMost(Duration.ofSeconds(30)).until(() -> !refused(vip));

        agent.destroy();

        assertThat(agent.waitFor(15, TimeUnit.SECONDS)).isTrue();
        assertThat(agent.exitValue()).isZero();
        assertThatThrownBy(() -> connect()).isInstanceOf(IOException.class);
    }
}
