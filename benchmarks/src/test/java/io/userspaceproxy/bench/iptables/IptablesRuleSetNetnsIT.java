package io.userspaceproxy.bench.iptables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.userspaceproxy.bench.SyntheticCluster;
import io.userspaceproxy.bench.SyntheticCluster.Service;
import io.userspaceproxy.core.model.Endpoint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loads the generated rule sets into the real {@code iptables-restore}, inside a network namespace this test
 * creates and deletes, so a rule kube-proxy's layout has and iptables would reject fails the build. Needs root;
 * outside CI it skips when unprivileged, and it skips wherever iptables is not installed.
 */
@Tag("netns")
class IptablesRuleSetNetnsIT {

    private final String namespace = "ubp-ipt-it-" + ProcessHandle.current().pid();
    private boolean created;

    @TempDir
    Path dir;

    @BeforeEach
    void createNamespace() throws Exception {
        boolean root = "0".equals(output(List.of("id", "-u")).trim());
        if (!"true".equals(System.getenv("CI"))) {
            assumeTrue(root, "needs root to create a network namespace");
        }
        assertThat(root).as("CI runs as root and must run netns tests").isTrue();
        assumeTrue(run(List.of("sh", "-c", "command -v iptables-restore && command -v ip"), null) == 0,
                "iptables-restore or ip is not installed");
        assertThat(run(List.of("ip", "netns", "add", namespace), null)).isZero();
        created = true;
    }

    @AfterEach
    void deleteNamespace() throws Exception {
        if (created) {
            run(List.of("ip", "netns", "del", namespace), null);
        }
    }

    @Test
    @Timeout(60)
    @DisplayName("iptables-restore accepts a full sync and then a partial sync that moves one endpoint")
    void restore_fullThenPartialSync_leavesKubeProxysRulesInTheNatTable() throws Exception {
        List<Service> before = SyntheticCluster.generate(50, 3, 1);
        Service old = before.get(10);
        Endpoint moved = SyntheticCluster.pod(150);
        Service changed = old.withEndpoint(0, moved);
        List<Service> after = before.stream().map(s -> s == old ? changed : s).toList();
        Path full = dir.resolve("full.rules");
        Path partial = dir.resolve("partial.rules");
        StringBuilder text = new StringBuilder();
        IptablesRuleSet.of(before).writeFullSync(text);
        Files.writeString(full, text);
        text.setLength(0);
        IptablesRuleSet.of(after).writePartialSync(text, changed, old);
        Files.writeString(partial, text);

        assertThat(run(List.of("ip", "netns", "exec", namespace, "iptables-restore", "--noflush"), full)).isZero();
        List<String> loaded = natRules();
        assertThat(loaded).filteredOn(l -> l.startsWith("-A KUBE-SERVICES")).hasSize(51);
        assertThat(loaded).filteredOn(l -> l.contains("-j DNAT")).hasSize(150);

        assertThat(run(List.of("ip", "netns", "exec", namespace, "iptables-restore", "--noflush"), partial)).isZero();
        List<String> updated = natRules();
        String stale = KubeProxyChains.endpointChain(old, old.endpoints().get(0));
        assertThat(updated).filteredOn(l -> l.contains("-j DNAT")).hasSize(150)
                .anyMatch(l -> l.endsWith("--to-destination " + moved))
                .noneMatch(l -> l.endsWith("--to-destination " + old.endpoints().get(0)));
        assertThat(updated).noneMatch(l -> l.contains(stale));
        assertThat(updated).filteredOn(l -> l.startsWith("-A KUBE-SERVICES")).hasSize(51);
    }

    private List<String> natRules() throws Exception {
        return output(List.of("ip", "netns", "exec", namespace, "iptables-save", "-t", "nat")).lines().toList();
    }

    private static int run(List<String> command, Path input) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        if (input != null) {
            builder.redirectInput(input.toFile());
        }
        Process process = builder.start();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(command + " did not finish within 30 s");
        }
        return process.exitValue();
    }

    private static String output(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(command + " did not finish within 30 s");
        }
        return out;
    }
}
