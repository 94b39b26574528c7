package io.userspaceproxy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.userspaceproxy.agent.testing.ManifestAgent;
import io.userspaceproxy.agent.testing.Manifests;
import io.userspaceproxy.agent.testing.Traffic;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPorts;
import io.userspaceproxy.core.testing.ThreadDumpOnFailure;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A listener whose port is taken is bound by the retry its sync asks for, within seconds of the port coming free:
 * with a ten-minute {@code --sync-period} and no further change, nothing else would run a sync. It failed once on
 * io_uring (the second sync started and did not end within 5 s), never since: a failure prints where every thread was.
 */
@Timeout(60)
@ExtendWith(ThreadDumpOnFailure.class)
class BindRetryIT {

    @TempDir
    Path tmp;

    @Test
    void portTaken_thenFreed_boundByTheSyncsOwnRetry() throws Exception {
        InetSocketAddress vip = TcpPorts.freeAddress("127.0.61.1");
        try (TcpEchoServer a = new TcpEchoServer("a")) {
            Files.writeString(tmp.resolve("web.yaml"), Manifests.serviceWithEndpoints("dev", "web", vip, a.endpoint()));
            ProxyAgent agent;
            try (ServerSocket squatter = new ServerSocket(vip.getPort(), 50, vip.getAddress())) {
                agent = ManifestAgent.start(tmp, "--sync-period", "10m");
                await().atMost(Duration.ofSeconds(10)).until(() -> agent.syncs() >= 2);
            }
            try (agent) {
                await().atMost(Duration.ofSeconds(5)).until(() -> "a".equals(Traffic.whoAnswers(vip)));
                assertThat(agent.syncs()).as("retried each second while the port was taken").isGreaterThan(2);
            }
        }
    }
}
