package io.userspaceproxy.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.agent.config.KubeProxyConfigurationFile;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a user meets it: exit statuses and messages, without starting the data plane. */
class MainTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private PrintStream savedErr;
    private PrintStream savedOut;

    @BeforeEach
    void captureStreams() {
        savedErr = System.err;
        savedOut = System.out;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreStreams() {
        System.setErr(savedErr);
        System.setOut(savedOut);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void run_otherProxyMode_exitsTwoNamingTheSupportedMode() {
        int status = Main.run("--proxy-mode=iptables", "--manifests", dir.toString());

        assertThat(status).isEqualTo(2);
        assertThat(stderr()).contains("--proxy-mode: \"iptables\" is not supported (expected: userspace");
    }

    @Test
    void run_initOnlyWithCleanup_exitsTwoNamingBoth() {
        assertThat(Main.run("--init-only", "--cleanup", "--vip-interface", "none")).isEqualTo(2);
        assertThat(stderr()).contains("--cleanup and --init-only: both given");
    }

    @Test
    void run_initOnlyWithoutAddressManagement_exitsZeroAtOnce() {
        assertThat(Main.run("--init-only", "--manifests", dir.toString())).isZero();
    }

    @Test
    void run_unknownFlag_exitsTwo() {
        assertThat(Main.run("--proxy-mode=userspace", "--no-such-flag")).isEqualTo(2);
        assertThat(stderr()).contains("Unknown option: '--no-such-flag'");
    }

    @Test
    void run_help_documentsEveryFlagAndExitsZero() {
        assertThat(Main.run("--help")).isZero();

        String help = out.toString(StandardCharsets.UTF_8);
        for (String flag : new String[] {"--proxy-mode", "--manifests", "--hostname-override", "--nodeport-addresses",
            "--bind-address", "--udp-timeout", "--tcp-idle-timeout", "--tcp-splice-threshold", "--udp-receive-buffer",
            "--udp-gso", "--max-udp-flows", "--min-sync-period",
            "--sync-period", "--healthz-bind-address", "--metrics-bind-address", "--drain-timeout", "--handover-socket",
            "--config",
            "--write-config-to", "--demo", "--v"}) {
            assertThat(help).as("help mentions %s", flag).contains(flag);
        }
    }

    @Test
    void run_badConfigFile_exitsTwoNamingFileAndLine() throws Exception {
        Path config = Files.writeString(dir.resolve("config.yaml"), """
                apiVersion: kubeproxy.config.k8s.io/v1alpha1
                kind: KubeProxyConfiguration
                mode: userspace
                noSuchField: 1
                """);

        int status = Main.run("--manifests", dir.toString(), "--config", config.toString());

        assertThat(status).isEqualTo(2);
        assertThat(stderr()).contains("config.yaml:4").contains("noSuchField");
    }

    @Test
    void run_writeConfigTo_writesEffectiveSettingsFileFlagsOverConfigFileAndExitsZero() throws Exception {
        Path config = Files.writeString(dir.resolve("config.yaml"), """
                apiVersion: kubeproxy.config.k8s.io/v1alpha1
                kind: KubeProxyConfiguration
                mode: userspace
                udpIdleTimeout: 5s
                hostnameOverride: from-file
                """);
        Path written = dir.resolve("effective.yaml");

        int status = Main.run("--manifests", dir.toString(), "--config", config.toString(), "--hostname-override",
                "from-flag", "--write-config-to", written.toString());

        assertThat(status).isZero();
        var settings = KubeProxyConfigurationFile.read(written);
        assertThat(settings.udpIdleTimeout()).contains(Duration.ofSeconds(5));
        assertThat(settings.hostnameOverride()).contains("from-flag");
    }
}
