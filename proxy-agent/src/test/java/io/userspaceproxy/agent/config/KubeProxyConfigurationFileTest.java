package io.userspaceproxy.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

class KubeProxyConfigurationFileTest {

    private static final String HEADER = "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n";

    private final Logger logger = (Logger) LoggerFactory.getLogger(KubeProxyConfigurationFile.class);
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    @BeforeEach
    void captureLogs() {
        logs.start();
        logger.addAppender(logs);
    }

    @AfterEach
    void releaseLogs() {
        logger.detachAppender(logs);
    }

    @Test
    void parse_everyApplicableField_setsIt() throws Exception {
        String yaml = HEADER + """
                mode: userspace
                clientConnection:
                  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
                  qps: 7.5
                  burst: 20
                hostnameOverride: node-a
                bindAddress: 10.1.2.3
                healthzBindAddress: 0.0.0.0:10256
                metricsBindAddress: "[::1]:10249"
                nodePortAddresses: [10.0.0.0/8, primary]
                iptables:
                  syncPeriod: 1m30s
                  minSyncPeriod: 250ms
                configSyncPeriod: 15m
                udpIdleTimeout: 250ms
                """;

        KubeProxyFileSettings settings = KubeProxyConfigurationFile.parse(yaml, "config.yaml");

        assertThat(settings).isEqualTo(KubeProxyFileSettings.builder()
                .mode("userspace")
                .kubeconfig(Path.of("/var/lib/kube-proxy/kubeconfig.conf"))
                .qps(7.5)
                .burst(20)
                .hostnameOverride("node-a")
                .bindAddress(InetAddress.getByName("10.1.2.3"))
                .healthzBindAddress(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 10256))
                .metricsBindAddress(new InetSocketAddress(InetAddress.getByName("::1"), 10249))
                .nodePortAddresses(List.of("10.0.0.0/8", "primary"))
                .syncPeriod(Duration.ofSeconds(90))
                .minSyncPeriod(Duration.ofMillis(250))
                .configSyncPeriod(Duration.ofMinutes(15))
                .udpIdleTimeout(Duration.ofMillis(250))
                .build());
        assertThat(logs.list).isEmpty();
    }

    @Test
    void parse_topLevelSyncPeriods_readLikeNewerKubeProxy() throws Exception {
        String yaml = HEADER + "syncPeriod: 45s\nminSyncPeriod: 2s\niptables:\n  syncPeriod: 45s\n";

        KubeProxyFileSettings settings = KubeProxyConfigurationFile.parse(yaml, "config.yaml");

        assertThat(settings.syncPeriod()).contains(Duration.ofSeconds(45));
        assertThat(settings.minSyncPeriod()).contains(Duration.ofSeconds(2));
    }

    @Test
    void parse_zeroValuesLikeKubeadmWrites_leaveFieldsUnset() throws Exception {
        String yaml = HEADER + """
                mode: ""
                clientConnection:
                  kubeconfig: ""
                  qps: 0
                  burst: 0
                  acceptContentTypes: ""
                hostnameOverride: ""
                bindAddress: null
                healthzBindAddress: ""
                nodePortAddresses: null
                iptables:
                  masqueradeAll: false
                  syncPeriod: 0s
                  minSyncPeriod: 0s
                configSyncPeriod: 0s
                udpIdleTimeout: 0s
                clusterCIDR: ""
                featureGates: {}
                """;

        assertThat(KubeProxyConfigurationFile.parse(yaml, "config.yaml")).isEqualTo(KubeProxyFileSettings.empty());
    }

    @Test
    void parse_knownFieldsThatDoNotApply_oneWarningListingThem() throws Exception {
        String yaml = HEADER + """
                mode: userspace
                clusterCIDR: 10.244.0.0/16
                conntrack:
                  maxPerCore: 32768
                ipvs:
                  scheduler: rr
                detectLocalMode: ""
                iptables:
                  masqueradeAll: true
                """;

        KubeProxyConfigurationFile.parse(yaml, "config.yaml");

        assertThat(logs.list).singleElement().satisfies(event -> {
            assertThat(event.getLevel()).isEqualTo(Level.WARN);
            assertThat(event.getFormattedMessage()).startsWith("config.yaml: ignoring KubeProxyConfiguration fields "
                    + "that do not apply to userspace mode: clusterCIDR (line 4: tells pod traffic from other traffic")
                    .contains("; conntrack (line 5: no conntrack entries", "; ipvs (line 7: ipvs mode only); ",
                            "iptables.masqueradeAll (line 11: iptables mode only)");
        });
    }

    @Test
    void parse_kubeadm133File_withPrimary_noWarningAndPrimaryKept() throws Exception {
        String yaml = new String(getClass().getResourceAsStream("/config/kubeadm-1.33.yaml").readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8);

        KubeProxyFileSettings settings = KubeProxyConfigurationFile.parse(yaml, "kube-proxy.yaml");

        assertThat(settings).isEqualTo(KubeProxyFileSettings.builder().bindAddress(InetAddress.getByName("0.0.0.0"))
                .nodePortAddresses(List.of("primary")).build());
        assertThat(logs.list).as("every ignored field holds its zero value: nothing to warn about").isEmpty();
    }

    @Test
    void parse_fieldsAddedSince131_honouredOrListedOnceWithAReason() throws Exception {
        String yaml = HEADER + """
                nodePortAddresses: [primary, localhost, 192.0.2.0/24, all]
                logging:
                  format: json
                  verbosity: 4
                iptables:
                  snatNodeInternalIP: true
                  localhostNodePorts: false
                nftables:
                  masqueradeAll: true
                  syncPeriod: 10s
                conntrack:
                  udpStreamTimeout: 300s
                  tcpBeLiberal: true
                windowsRunAsService: true
                featureGates: {PreferSameTrafficDistribution: true}
                """;

        KubeProxyFileSettings settings = KubeProxyConfigurationFile.parse(yaml, "config.yaml");

        assertThat(settings.nodePortAddresses()).containsExactly("primary", "localhost", "192.0.2.0/24", "all");
        assertThat(settings.verbosity()).hasValue(4);
        assertThat(logs.list).singleElement().satisfies(event -> assertThat(event.getFormattedMessage()).contains(
                "logging.format (line 5: logs are Logback's text lines)",
                "iptables.snatNodeInternalIP (line 8: iptables mode only; a userspace proxy connects from",
                "iptables.localhostNodePorts (line 9: iptables mode only; here --nodeport-addresses alone decides",
                "nftables (line 10: nftables mode only)",
                "conntrack (line 13: no conntrack entries",
                "windowsRunAsService (line 16: Windows only)",
                "featureGates (line 17: kube-proxy's gates choose"));
    }

    static Stream<Arguments> badFiles() {
        return Stream.of(
                arguments("unknown field", HEADER + "mode: userspace\nbindAddress: 0.0.0.0\n\n\n\nfoo: 1\n",
                        "config.yaml:8: unknown field \"foo\""),
                arguments("unknown nested field", HEADER + "clientConnection:\n  kubeconfig: /k\n  qsp: 5\n",
                        "config.yaml:5: unknown field \"clientConnection.qsp\""),
                arguments("unknown iptables field", HEADER + "iptables:\n  syncPeriods: 1s\n",
                        "config.yaml:4: unknown field \"iptables.syncPeriods\""),
                arguments("other mode", HEADER + "mode: ipvs\n",
                        "config.yaml:3: mode: \"ipvs\" (expected: \"userspace\"; this proxy runs only in userspace mode)"),
                arguments("wrong apiVersion", "apiVersion: kubeproxy.config.k8s.io/v1beta1\nkind: KubeProxyConfiguration\n",
                        "config.yaml:1: apiVersion: \"kubeproxy.config.k8s.io/v1beta1\" (expected: kubeproxy.config.k8s.io/v1alpha1)"),
                arguments("missing kind", "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nmode: userspace\n",
                        "config.yaml:1: kind: missing (expected: KubeProxyConfiguration)"),
                arguments("duration without unit", HEADER + "syncPeriod: 30\n",
                        "config.yaml:3: syncPeriod: 30 (expected: a duration such as 30s or 1m30s)"),
                arguments("bad duration", HEADER + "iptables:\n  minSyncPeriod: 1d\n",
                        "config.yaml:4: iptables.minSyncPeriod: unknown unit \"d\" in duration \"1d\" (expected: ns, us, ms, s, m or h)"),
                arguments("negative duration", HEADER + "udpIdleTimeout: -1s\n",
                        "config.yaml:3: udpIdleTimeout: -1s (expected: >= 0)"),
                arguments("periods disagree", HEADER + "syncPeriod: 30s\niptables:\n  syncPeriod: 1m\n",
                        "config.yaml:3: syncPeriod: 30s disagrees with iptables.syncPeriod: 1m0s on line 5 "
                                + "(expected: one of them, or the same value)"),
                arguments("qps not a number", HEADER + "clientConnection:\n  qps: fast\n",
                        "config.yaml:4: clientConnection.qps: \"fast\" (expected: a number)"),
                arguments("burst not an integer", HEADER + "clientConnection:\n  burst: 2.5\n",
                        "config.yaml:4: clientConnection.burst: 2.5 (expected: an integer)"),
                arguments("host name instead of IP", HEADER + "healthzBindAddress: localhost:10256\n",
                        "config.yaml:3: healthzBindAddress: \"localhost\" is not an IP address"),
                arguments("address without port", HEADER + "metricsBindAddress: 127.0.0.1\n",
                        "config.yaml:3: metricsBindAddress: \"127.0.0.1\" (expected: ip:port, such as 0.0.0.0:10256 or [::]:10256)"),
                arguments("port out of range", HEADER + "metricsBindAddress: 127.0.0.1:70000\n",
                        "config.yaml:3: metricsBindAddress: \"127.0.0.1:70000\" (expected: ip:port, such as 0.0.0.0:10256 or [::]:10256)"),
                arguments("bad CIDR", HEADER + "nodePortAddresses:\n  - 10.0.0.0/8\n  - 10.0.0.0/33\n",
                        "config.yaml:5: nodePortAddresses: \"10.0.0.0/33\" is not a CIDR (expected: length 0..32)"),
                arguments("misspelt keyword", HEADER + "nodePortAddresses: [primery]\n",
                        "config.yaml:3: nodePortAddresses: \"primery\" (expected: a CIDR such as 10.0.0.0/8, or one of"
                                + " the keywords primary, localhost, all)"),
                arguments("hostname as a number", HEADER + "hostnameOverride: 42\n",
                        "config.yaml:3: hostnameOverride: 42 (expected: a string)"),
                arguments("section not a mapping", HEADER + "clientConnection: yes-please\n",
                        "config.yaml:3: clientConnection: \"yes-please\" (expected: a mapping of fields)"),
                arguments("duplicate field", HEADER + "mode: userspace\nmode: userspace\n",
                        "config.yaml:4: invalid YAML: Duplicate field 'mode' (first on line 3)"),
                arguments("burst in hexadecimal", HEADER + "clientConnection:\n  burst: 0x14\n",
                        "config.yaml:4: clientConnection.burst: 0x14 (expected: an integer in decimal)"),
                arguments("broken YAML", HEADER + "clientConnection:\n  kubeconfig: [unclosed\n",
                        "config.yaml:5: invalid YAML: while parsing a flow sequence: expected ',' or ']', but got <stream end>"),
                arguments("two documents", HEADER + "---\n" + HEADER,
                        "config.yaml:4: a second YAML document (expected: one KubeProxyConfiguration)"),
                arguments("empty file", "", "config.yaml:1: empty file (expected: a KubeProxyConfiguration)"),
                arguments("not a mapping", "- a\n- b\n", "config.yaml:1: the document: a list (expected: a mapping of fields)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badFiles")
    void parse_badFile_failsWithFileLineAndField(String scenario, String yaml, String message) {
        assertThatThrownBy(() -> KubeProxyConfigurationFile.parse(yaml, "config.yaml"))
                .isInstanceOf(ConfigFileException.class)
                .hasMessageStartingWith(message)
                .satisfies(e -> assertThat(((ConfigFileException) e).line()).isPositive());
    }

    static Stream<Arguments> hostileFiles() {
        return Stream.of(
                arguments("alias to a mapping", HEADER + "featureGates: &g {A: true}\nlogging:\n  featureGates: *g\n",
                        "Number of aliases for non-scalar nodes exceeds the specified max=0"),
                arguments("recursive alias", HEADER + "featureGates: &a {b: *a}\n", "max=0"),
                arguments("deep nesting", HEADER + "featureGates: " + "[".repeat(60) + "]".repeat(60) + "\n",
                        "Nesting Depth exceeded max " + YamlNodes.MAX_DEPTH),
                arguments("too large", HEADER + "# " + "x".repeat(YamlNodes.MAX_CHARS) + "\n",
                        "larger than " + YamlNodes.MAX_CHARS + " characters"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileFiles")
    void parse_hostileFile_failsAtALimitInsteadOfExpanding(String scenario, String yaml, String problem) {
        assertThatThrownBy(() -> KubeProxyConfigurationFile.parse(yaml, "config.yaml"))
                .isInstanceOf(ConfigFileException.class)
                .hasMessageStartingWith("config.yaml: invalid YAML: ")
                .hasMessageContaining(problem);
    }

    @Test
    void parse_aliasToAScalar_readAsTheScalar() throws Exception {
        String yaml = HEADER + "syncPeriod: &p 45s\niptables:\n  syncPeriod: *p\n";

        assertThat(KubeProxyConfigurationFile.parse(yaml, "config.yaml").syncPeriod()).contains(Duration.ofSeconds(45));
    }

    @Test
    void read_missingFile_failsNamingIt(@TempDir Path dir) {
        Path missing = dir.resolve("nope.yaml");

        assertThatThrownBy(() -> KubeProxyConfigurationFile.read(missing))
                .isInstanceOf(ConfigFileException.class)
                .hasMessageStartingWith(missing + ": cannot read: java.nio.file.NoSuchFileException");
    }

    @Test
    void render_effectiveValues_kubeProxyStyleYaml() throws Exception {
        KubeProxyFileSettings settings = KubeProxyFileSettings.builder()
                .kubeconfig(Path.of("/var/lib/kube-proxy/kubeconfig.conf"))
                .qps(5)
                .burst(10)
                .bindAddress(InetAddress.getByName("0.0.0.0"))
                .healthzBindAddress(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 10256))
                .metricsBindAddress(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 10249))
                .syncPeriod(Duration.ofSeconds(30))
                .minSyncPeriod(Duration.ofSeconds(1))
                .configSyncPeriod(Duration.ofMinutes(15))
                .udpIdleTimeout(Duration.ofMillis(250))
                .build();

        assertThat(KubeProxyConfigurationFile.render(settings)).isEqualTo("""
                apiVersion: kubeproxy.config.k8s.io/v1alpha1
                kind: KubeProxyConfiguration
                bindAddress: 0.0.0.0
                clientConnection:
                  burst: 10
                  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
                  qps: 5
                configSyncPeriod: 15m0s
                healthzBindAddress: 0.0.0.0:10256
                iptables:
                  minSyncPeriod: 1s
                  syncPeriod: 30s
                metricsBindAddress: 127.0.0.1:10249
                mode: userspace
                udpIdleTimeout: 250ms
                """);
    }

    @Test
    void write_thenRead_sameSettings(@TempDir Path dir) throws Exception {
        KubeProxyFileSettings settings = KubeProxyFileSettings.builder()
                .mode("userspace")
                .kubeconfig(Path.of("/etc/kubernetes/proxy: kubeconfig"))
                .qps(12.25)
                .burst(30)
                .hostnameOverride("node-b.example")
                .bindAddress(InetAddress.getByName("::"))
                .healthzBindAddress(new InetSocketAddress(InetAddress.getByName("::"), 10256))
                .metricsBindAddress(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0))
                .nodePortAddresses(List.of("192.168.0.0/16", "fd00::/8", "primary"))
                .syncPeriod(Duration.ofMillis(1_500))
                .minSyncPeriod(Duration.ofNanos(1_500))
                .configSyncPeriod(Duration.ofHours(1))
                .udpIdleTimeout(Duration.ofSeconds(1))
                .build();
        Path file = dir.resolve("effective.yaml");

        KubeProxyConfigurationFile.write(settings, file);

        assertThat(KubeProxyConfigurationFile.read(file)).isEqualTo(settings);
        assertThat(Files.readString(file)).contains("healthzBindAddress: \"[::]:10256\"");
        assertThat(logs.list).isEmpty();
    }

    @Test
    void settings_invalidMode_rejected() {
        assertThatThrownBy(() -> KubeProxyFileSettings.builder().mode("iptables").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("mode: \"iptables\" (expected: \"userspace\")");
    }
}
