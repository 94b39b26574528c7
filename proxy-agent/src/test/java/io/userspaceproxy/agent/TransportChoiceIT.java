package io.userspaceproxy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.userspaceproxy.agent.testing.ManifestAgent;
import io.userspaceproxy.agent.testing.Manifests;
import io.userspaceproxy.core.listen.Transport;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPorts;
import io.userspaceproxy.core.testing.TcpTestClient;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code --transport} reaches the data plane: the agent's listeners run on the transport named, and relay there. */
@Timeout(60)
class TransportChoiceIT {

    @TempDir
    Path tmp;

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
}
