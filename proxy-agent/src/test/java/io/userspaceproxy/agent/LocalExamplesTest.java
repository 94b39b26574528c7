package io.userspaceproxy.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.agent.sync.BuildResult;
import io.userspaceproxy.agent.sync.ChangeTracker;
import io.userspaceproxy.agent.sync.NodeContext;
import io.userspaceproxy.agent.sync.SnapshotBuilder;
import io.userspaceproxy.agent.watch.manifests.ManifestSource;
import io.userspaceproxy.core.model.IpAddresses;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Route;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The shipped {@code examples/local} manifests load without a warning and give the documented listeners. */
class LocalExamplesTest {

    private static final Path EXAMPLES = Path.of("..", "examples", "local");

    @Test
    @Timeout(30)
    void examples_loadIntoTheDocumentedListeners() throws IOException {
        assertThat(EXAMPLES).as("run from the proxy-agent module directory").isDirectory();
        ChangeTracker tracker = new ChangeTracker();
        BuildResult result;
        try (ManifestSource source = ManifestSource.start(EXAMPLES, tracker)) {
            assertThat(source.invalidManifests()).isZero();
            NodeContext node = new NodeContext("local", null, List.of(IpAddresses.parse("127.0.0.1")));
            result = new SnapshotBuilder(Duration.ofMillis(250)).build(tracker.checkout(), node);
        }

        Map<String, List<String>> listeners = new LinkedHashMap<>();
        for (Map.Entry<ListenerKey, Route> e : result.snapshot().routes().entrySet()) {
            listeners.put(e.getKey() + " " + e.getValue().servicePort(),
                    e.getValue().endpoints().stream().map(Object::toString).collect(Collectors.toList()));
        }
        List<String> echo = List.of("127.0.0.1:18081", "127.0.0.1:18082", "127.0.0.1:18083");
        assertThat(listeners).containsExactly(
                Map.entry("TCP 127.0.10.1:8080 demo/echo:http", echo),
                Map.entry("TCP 127.0.0.1:30080 demo/echo:http", echo),
                Map.entry("TCP 127.0.10.2:80 demo/hello", List.of("127.0.0.1:18084")),
                Map.entry("UDP 127.0.10.3:5353 demo/udp-echo:echo", List.of("127.0.0.1:18091", "127.0.0.1:18092")));
        assertThat(result.problems()).isEmpty();
    }
}
