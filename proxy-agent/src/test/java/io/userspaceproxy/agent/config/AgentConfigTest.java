package io.userspaceproxy.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.userspaceproxy.core.listen.Transport;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

class AgentConfigTest {

    @TempDir
    Path dir;

    /** The configuration of {@code args}, with {@code file} (unless empty) written and named by {@code --config}. */
    private AgentConfig parse(KubeProxyFileSettings file, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of(args));
        if (!file.equals(KubeProxyFileSettings.empty())) {
            Path config = dir.resolve("config.yaml");
            KubeProxyConfigurationFile.write(file, config);
            all.addAll(List.of("--config", config.toString()));
        }
        AgentOptions o = new AgentOptions();
        AgentOptions.parse(new CommandLine(o), all.toArray(String[]::new));
        return AgentConfig.from(o);
    }

    @Test
    void from_defaults_areKubeProxysWithLoopbackHealthForLocalDev() throws Exception {
        AgentConfig c = parse(KubeProxyFileSettings.empty(), "--manifests", dir.toString());

        assertThat(c.udpTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(c.minSyncPeriod()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.syncPeriod()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.healthzBindAddress()).isEqualTo(new InetSocketAddress("127.0.0.1", 10256));
        assertThat(c.metricsBindAddress()).isEqualTo(new InetSocketAddress("127.0.0.1", 10249));
        assertThat(c.nodePortAddresses()).hasToString("127.0.0.0/8");
        assertThat(c.drainTimeout()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void from_configFileAndFlags_flagGivenOnCommandLineWinsOverFileWhichWinsOverDefault() throws Exception {
        KubeProxyFileSettings file = KubeProxyFileSettings.builder()
                .udpIdleTimeout(Duration.ofSeconds(5))
                .minSyncPeriod(Duration.ofSeconds(2))
                .hostnameOverride("node-from-file")
                .metricsBindAddress(new InetSocketAddress("127.0.0.1", 19249))
                .build();

        AgentConfig c = parse(file, "--manifests", dir.toString(), "--udp-timeout", "1s", "--hostname-override",
                "Node-From-Flag");

        assertThat(c.udpTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.nodeName()).isEqualTo("node-from-flag");
        assertThat(c.minSyncPeriod()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.metricsBindAddress()).isEqualTo(new InetSocketAddress("127.0.0.1", 19249));
        assertThat(c.syncPeriod()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.tcpSpliceThreshold()).isEqualTo(64 * 1024);
        assertThat(c.udpReceiveBuffer()).isEqualTo(4 << 20);
        assertThat(parse(KubeProxyFileSettings.empty(), "--manifests", dir.toString(), "--tcp-splice-threshold", "0")
                .tcpSpliceThreshold()).as("0 turns splicing off").isZero();
    }

    @Test
    void udpGso_onByDefault_offWhenSaidFalse() throws Exception {
        assertThat(parse(KubeProxyFileSettings.empty(), "--manifests", dir.toString()).udpGso()).isTrue();
        assertThat(parse(KubeProxyFileSettings.empty(), "--manifests", dir.toString(), "--udp-gso=false").udpGso())
                .isFalse();
        assertThat(parse(KubeProxyFileSettings.empty(), "--manifests", dir.toString(), "--udp-gso").udpGso())
                .isTrue();
        assertThatThrownBy(() -> parse(KubeProxyFileSettings.empty(), "--manifests", dir.toString(), "--udp-gso=no"))
                .hasMessageContaining("--udp-gso");
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
        "--proxy-mode         | iptables  | --proxy-mode: \"iptables\" is not supported (expected: userspace, the only mode this proxy implements)",
        "--udp-timeout        | 0s        | --udp-timeout: 0s (expected: > 0)",
        "--udp-timeout        | 5 seconds | --udp-timeout: ",
        "--min-sync-period    | -1s       | --min-sync-period: -1s (expected: >= 0)",
        "--nodeport-addresses | 10.0.0/8  | --nodeport-addresses: \"10.0.0\" is not an IP address",
        "--metrics-bind-address | localhost:10249 | --metrics-bind-address: \"localhost\" is not an IP address",
        "--max-udp-flows      | 0         | --max-udp-flows: 0 (expected: >= 1)",
        "--tcp-splice-threshold | -1      | --tcp-splice-threshold: -1 (expected: >= 0, 0 disables splicing)",
        "--udp-receive-buffer | -1        | --udp-receive-buffer: -1 (expected: >= 0, 0 keeps the kernel's default)",
        "--transport          | kqueue    | --transport: \"kqueue\" (expected: auto, epoll, io_uring or nio)"
    })
    void from_badValue_failsNamingFlagValueAndExpectation(String flag, String value, String message) {
        assertThatThrownBy(() -> parse(KubeProxyFileSettings.empty(), "--manifests", dir.toString(), flag, value))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message);
    }

    @Test
    void transport_autoByDefault_namedOnesTaken() throws Exception {
        assertThat(parse(KubeProxyFileSettings.empty(), "--manifests", dir.toString()).transport())
                .isEqualTo(Transport.best());
        assertThat(parse(KubeProxyFileSettings.empty(), "--manifests", dir.toString(), "--transport", "NIO")
                .transport()).isEqualTo(Transport.NIO);
        Assumptions.assumeTrue(Transport.IO_URING.isAvailable(), "io_uring is not available here");
        assertThat(parse(KubeProxyFileSettings.empty(), "--manifests", dir.toString(), "--transport", "io_uring")
                .transport()).isEqualTo(Transport.IO_URING);
    }

    @Test
    void from_missingManifestDirectory_failsNamingIt() {
        assertThatThrownBy(() -> parse(KubeProxyFileSettings.empty(), "--manifests", dir.resolve("nope").toString()))
                .hasMessage("--manifests: " + dir.resolve("nope") + " (expected: an existing directory)");
    }

    @Test
    void toFileSettings_roundTripsThroughTheConfigFile() throws Exception {
        AgentConfig c = parse(KubeProxyFileSettings.empty(), "--manifests", dir.toString(), "--udp-timeout", "1m30s",
                "--nodeport-addresses", "127.0.0.0/8,10.0.0.0/8", "--hostname-override", "n1");
        Path out = dir.resolve("effective.yaml");

        KubeProxyConfigurationFile.write(c.toFileSettings(), out);
        KubeProxyFileSettings read = KubeProxyConfigurationFile.read(out);

        assertThat(read.udpIdleTimeout()).contains(Duration.ofSeconds(90));
        assertThat(read.hostnameOverride()).contains("n1");
        assertThat(Set.copyOf(read.nodePortAddresses())).containsExactlyInAnyOrder("127.0.0.0/8", "10.0.0.0/8");
        assertThat(parse(read, "--manifests", dir.toString()).udpTimeout()).isEqualTo(Duration.ofSeconds(90));
    }

    @Test
    void from_fileLoggingVerbosity_appliesUnlessTheFlagIsGiven() throws Exception {
        KubeProxyFileSettings file = KubeProxyFileSettings.builder().verbosity(4).build();

        assertThat(parse(file, "--manifests", dir.toString()).verbosity()).isEqualTo(4);
        assertThat(parse(file, "--manifests", dir.toString(), "--v=2").verbosity()).isEqualTo(2);
    }

    @Test
    void from_fileNodePortKeywords_likeTheFlag() throws Exception {
        KubeProxyFileSettings file = KubeProxyFileSettings.builder().nodePortAddresses(java.util.List.of("localhost"))
                .build();

        AgentConfig c = parse(file, "--manifests", dir.toString());

        assertThat(c.nodePortAddresses().cidrs()).hasToString("[127.0.0.0/8, 0:0:0:0:0:0:0:1/128]");
        assertThat(c.toFileSettings().nodePortAddresses()).containsExactly("localhost");
    }
}
