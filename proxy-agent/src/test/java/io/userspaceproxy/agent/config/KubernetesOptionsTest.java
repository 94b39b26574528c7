package io.userspaceproxy.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.userspaceproxy.agent.metrics.ServicePortSeries;
import io.userspaceproxy.core.model.Cidr;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** The cluster flags: which source, how to reach the API, which Services, where the VIPs go; with their messages. */
class KubernetesOptionsTest {

    @TempDir
    Path tmp;

    private static AgentConfig parse(String... args) {
        AgentOptions options = new AgentOptions();
        new CommandLine(options).parseArgs(args);
        return AgentConfig.from(options);
    }

    @Test
    void noManifests_clusterWithKubeProxyDefaults() {
        AgentConfig c = parse("--hostname-override", "node-a");

        assertThat(c.inCluster()).isTrue();
        assertThat(c.manifests()).isNull();
        assertThat(c.api()).isEqualTo(new KubeApiSettings(null, null, Duration.ofMinutes(15), 5, 10, null));
        assertThat(c.api().inCluster()).isTrue();
        assertThat(c.nodePortAddresses().cidrs()).extracting(Cidr::toString).containsExactly("0.0.0.0/0", "0:0:0:0:0:0:0:0/0");
        assertThat(c.vips()).isEqualTo(new VipSettings(true, "usproxy0", Path.of("/run/userspace-proxy/vips")));
        assertThat(c.cleanup()).isFalse();
    }

    @Test
    void manifests_localDevDefaults_noApiNoVips() {
        AgentConfig c = parse("--manifests", tmp.toString());

        assertThat(c.inCluster()).isFalse();
        assertThat(c.api()).isNull();
        assertThat(c.nodePortAddresses().cidrs()).extracting(Cidr::toString).containsExactly("127.0.0.0/8");
        assertThat(c.vips().enabled()).isFalse();
    }

    @Test
    void manifestsWithVipInterface_vipsOn() {
        AgentConfig c = parse("--manifests", tmp.toString(), "--vip-interface", "lo", "--vip-state-file",
                tmp.resolve("vips").toString());

        assertThat(c.vips()).isEqualTo(new VipSettings(true, "lo", tmp.resolve("vips")));
    }

    @Test
    void clusterFlags_allSet_validated() throws Exception {
        Path kubeconfig = Files.writeString(tmp.resolve("kubeconfig"), "apiVersion: v1\nkind: Config\n");

        AgentConfig c = parse("--kubeconfig", kubeconfig.toString(), "--master", "https://10.0.0.1:6443",
                "--config-sync-period", "1m", "--kube-api-qps", "20.5", "--kube-api-burst", "40",
                "--service-proxy-name", "userspace-proxy", "--vip-interface", "none", "--cleanup");

        assertThat(c.api()).isEqualTo(new KubeApiSettings(kubeconfig, URI.create("https://10.0.0.1:6443"),
                Duration.ofMinutes(1), 20.5, 40, "userspace-proxy"));
        assertThat(c.vips().enabled()).isFalse();
        assertThat(c.cleanup()).isTrue();
    }

    @Test
    void manifestsAndKubeconfig_bothSources_rejected() throws Exception {
        Path kubeconfig = Files.writeString(tmp.resolve("kubeconfig"), "");

        assertThatThrownBy(() -> parse("--manifests", tmp.toString(), "--kubeconfig", kubeconfig.toString()))
                .hasMessage("--manifests and --kubeconfig: both given (expected: one source, either --manifests DIR"
                        + " for the local dev proxy or the API server through --kubeconfig/--master)");
        assertThatThrownBy(() -> parse("--manifests", tmp.toString(), "--master", "https://10.0.0.1"))
                .hasMessageStartingWith("--manifests and --master: both given");
    }

    @Test
    void manifestsAndServiceProxyName_rejected() {
        assertThatThrownBy(() -> parse("--manifests", tmp.toString(), "--service-proxy-name", "x"))
                .hasMessage("--service-proxy-name: only applies to Services from the API server (expected: no"
                        + " --manifests)");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--master|10.0.0.1:6443|--master: \"10.0.0.1:6443\" (expected: the API server's URL, such as"
                + " https://10.0.0.1:6443)",
        "--master|ftp://10.0.0.1|--master: \"ftp://10.0.0.1\" (expected: the API server's URL, such as"
                + " https://10.0.0.1:6443)",
        "--kubeconfig|/nonexistent/kubeconfig|--kubeconfig: /nonexistent/kubeconfig (expected: a readable file)",
        "--kube-api-qps|0|--kube-api-qps: 0.0 (expected: > 0)",
        "--kube-api-burst|0|--kube-api-burst: 0 (expected: >= 1)",
        "--config-sync-period|-1s|--config-sync-period: -1s (expected: >= 0)",
        "--service-proxy-name|-bad-|--service-proxy-name: \"-bad-\" (expected: a label value: 1 to 63 letters,"
                + " digits, '-', '_' or '.', starting and ending with a letter or digit)",
        "--vip-interface|a/b|--vip-interface: \"a/b\" (expected: an interface name of 1 to 15 characters without"
                + " '/', ':' or spaces, or \"none\")",
        "--vip-interface|much-too-long-name|--vip-interface: \"much-too-long-name\" (expected: an interface name"
                + " of 1 to 15 characters without '/', ':' or spaces, or \"none\")"
    })
    void badValue_messageNamesFlagValueAndExpectation(String flag, String value, String message) {
        assertThatThrownBy(() -> parse(flag, value)).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }

    @Test
    void configSyncPeriod_notADuration_namesTheFlag() {
        assertThatThrownBy(() -> parse("--config-sync-period", "soon"))
                .hasMessageStartingWith("--config-sync-period: ");
    }

    @Test
    void nodePortAddresses_given_overrideTheClusterDefault() {
        assertThat(parse("--nodeport-addresses", "10.0.0.0/8").nodePortAddresses().cidrs())
                .extracting(Cidr::toString).containsExactly("10.0.0.0/8");
    }

    @Test
    void nodePortAddresses_keywords_primaryLocalhostAllAndCidrsCombine() {
        NodePortAddresses a = parse("--nodeport-addresses", "primary,localhost,192.0.2.0/24").nodePortAddresses();

        assertThat(a.primary()).isTrue();
        assertThat(a.cidrs()).extracting(Cidr::toString)
                .containsExactly("127.0.0.0/8", "0:0:0:0:0:0:0:1/128", "192.0.2.0/24");
        assertThat(a.given()).containsExactly("primary", "localhost", "192.0.2.0/24");
        assertThat(parse("--nodeport-addresses", "all").nodePortAddresses().cidrs()).extracting(Cidr::toString)
                .containsExactly("0.0.0.0/0", "0:0:0:0:0:0:0:0/0");
        assertThat(parse("--nodeport-addresses", "primary").nodePortAddresses().cidrs()).isEmpty();
    }

    @Test
    void nodePortAddresses_unknownWord_rejectedNamingTheKeywords() {
        assertThatThrownBy(() -> parse("--nodeport-addresses", "primary,loclhost"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--nodeport-addresses: \"loclhost\" (expected: a CIDR such as 10.0.0.0/8, or one of the"
                        + " keywords primary, localhost, all)");
    }

    @Test
    void record_bothOrNoSource_rejected() {
        AgentConfig c = parse();
        assertThatThrownBy(() -> new AgentConfig(tmp, c.nodeName(), c.nodePortAddresses(), c.bindAddress(), c.udpTimeout(),
                c.tcpIdleTimeout(), 1, c.minSyncPeriod(), c.syncPeriod(), false, 0, c.healthzBindAddress(),
                c.metricsBindAddress(), c.drainTimeout(), null, c.api(), c.vips(), false, false, 0, 0, true,
                ServicePortSeries.ACTIVE, null, 0, c.transport()))
                .hasMessageEndingWith("(expected: exactly one source)");
    }
}
