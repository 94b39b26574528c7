package io.userspaceproxy.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@link AgentOptions#parse}: the {@code --config} file reaches the options as picocli's defaults. */
class AgentOptionsTest {

    private static final String HEADER = "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n";

    @TempDir
    Path dir;

    private AgentOptions parse(String yaml, String... args) throws Exception {
        Path config = Files.writeString(dir.resolve("config.yaml"), HEADER + yaml);
        AgentOptions o = new AgentOptions();
        CommandLine cli = new CommandLine(o);
        AgentOptions.parse(cli, concat(args, "--config", config.toString()));
        return o;
    }

    private static String[] concat(String[] args, String... more) {
        String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return all;
    }

    @Test
    void parse_fileValues_heldAsTheFileSpellsThem() throws Exception {
        AgentOptions o = parse("""
                configSyncPeriod: 1m30s
                clientConnection:
                  qps: 7.5
                  burst: 20
                logging:
                  verbosity: 4
                """);

        assertThat(o.kubernetes.configSyncPeriod).isEqualTo("1m30s");
        assertThat(o.kubernetes.kubeApiQps).isEqualTo(7.5);
        assertThat(o.kubernetes.kubeApiBurst).isEqualTo(20);
        assertThat(o.verbosity).isEqualTo(4);
        assertThat(o.udpTimeout).as("the option's own default where the file is silent").isEqualTo("250ms");
        assertThat(AgentConfig.from(o).api().configSyncPeriod()).isEqualTo(Duration.ofSeconds(90));
    }

    @Test
    void parse_flagGiven_winsOverTheFile() throws Exception {
        AgentOptions o = parse("configSyncPeriod: 1m30s\nudpIdleTimeout: 5s\n", "--config-sync-period", "2m");

        assertThat(o.kubernetes.configSyncPeriod).isEqualTo("2m");
        assertThat(o.udpTimeout).isEqualTo("5s");
    }

    @Test
    void parse_fileNodePortAddresses_splitLikeTheFlag() throws Exception {
        AgentOptions o = parse("nodePortAddresses: [10.0.0.0/8, primary]\n");

        assertThat(o.nodePortAddresses).containsExactly("10.0.0.0/8", "primary");
        assertThat(AgentConfig.from(o).nodePortAddresses().given()).containsExactly("10.0.0.0/8", "primary");
    }

    @Test
    void parse_fileKubeconfigWithManifests_doesNotCompeteWithThem() throws Exception {
        AgentOptions o = parse("clientConnection:\n  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf\n",
                "--manifests", dir.toString());

        assertThat(AgentConfig.from(o).inCluster()).isFalse();
    }

    @Test
    void parse_help_answeredWithoutReadingTheFile() throws Exception {
        AgentOptions o = new AgentOptions();

        CommandLine.ParseResult parsed = AgentOptions.parse(new CommandLine(o), "--help", "--config",
                dir.resolve("missing.yaml").toString());

        assertThat(parsed.isUsageHelpRequested()).isTrue();
    }

    @Test
    void parse_missingFile_failsNamingIt() {
        Path missing = dir.resolve("missing.yaml");

        assertThatThrownBy(() -> AgentOptions.parse(new CommandLine(new AgentOptions()), "--config",
                missing.toString()))
                .isInstanceOf(ConfigFileException.class)
                .hasMessageStartingWith(missing + ": cannot read");
    }
}
