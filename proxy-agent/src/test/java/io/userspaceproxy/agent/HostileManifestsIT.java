package io.userspaceproxy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.userspaceproxy.agent.health.Probe;
import io.userspaceproxy.agent.testing.ManifestAgent;
import io.userspaceproxy.agent.testing.Manifests;
import io.userspaceproxy.agent.testing.MetricsText;
import io.userspaceproxy.agent.testing.Traffic;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPorts;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Issue 11, end to end: the local dev proxy on a directory of hostile files beside one good Service. */
@Timeout(60)
class HostileManifestsIT {

    private static final Duration WITHIN = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    @Test
    @DisplayName("Hostile files (recursive alias, deep nesting, truncated, symlink loop) are each counted at once,"
            + " the agent starts and stays healthy, and edits of the good file keep applying")
    void hostileFilesBesideAGoodService_startsCountsAndKeepsApplyingEdits() throws Exception {
        InetSocketAddress vip = TcpPorts.freeAddress("127.0.61.1");
        Path good = dir.resolve("web.yaml");
        try (TcpEchoServer a = new TcpEchoServer("a"); TcpEchoServer b = new TcpEchoServer("b")) {
            Files.writeString(good, Manifests.serviceWithEndpoints("dev", "web", vip, a.endpoint()));
            Files.writeString(dir.resolve("alias.yaml"), "a: &a {b: *a}\n");
            Files.writeString(dir.resolve("deep.yaml"), "a: " + "[".repeat(20_000) + "]".repeat(20_000) + "\n");
            Files.writeString(dir.resolve("truncated.yaml"), "apiVersion: v1\nkind: Service\nmetadata: {name: t}\n"
                    + "spec:\n  clusterIP: 127.0.61.2\n  ports:\n  - ");
            Files.createSymbolicLink(dir.resolve("loop-a.yaml"), dir.resolve("loop-b.yaml"));
            Files.createSymbolicLink(dir.resolve("loop-b.yaml"), dir.resolve("loop-a.yaml"));

            try (ProxyAgent agent = ManifestAgent.start(dir, "--sync-period", "10m")) {
                assertThat(Traffic.whoAnswers(vip)).isEqualTo("a");
                assertThat(invalidManifests(agent)).as("five bad files, counted as read").isEqualTo(5);

                Files.writeString(dir.resolve("alias-2.yaml"), "b: &b [*b]\n");
                await().atMost(WITHIN).untilAsserted(() -> assertThat(invalidManifests(agent))
                        .as("at once, not at the next periodic sync (10 min)").isEqualTo(6));

                Files.writeString(good, Manifests.serviceWithEndpoints("dev", "web", vip, b.endpoint()));
                Traffic.awaitAnswer(vip, "b");
                assertThat(agent.health().probe(Probe.HEALTHZ).statusCode())
                        .isEqualTo(200);
            }
        }
    }

    private static double invalidManifests(ProxyAgent agent) throws Exception {
        String metrics = MetricsText.get(agent.metricsAddress().orElseThrow(), "/metrics");
        return MetricsText.value(metrics, "userspace_proxy_invalid_objects_total", "kind=\"manifest\"");
    }
}
