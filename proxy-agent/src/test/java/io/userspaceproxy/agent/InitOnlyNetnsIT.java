package io.userspaceproxy.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.agent.testing.AgentProcess;
import io.userspaceproxy.agent.testing.Netns;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * {@code --init-only} on a real (namespaced) node: the packaged jar sets up the VIP interface, removes the Service
 * addresses an earlier run left, and exits 0 without serving anything or needing an API server. Where the kernel
 * has dummy links the leftovers sit on {@code usproxy0}; elsewhere on {@code lo}, labelled {@code lo:usp}, as the
 * agent itself would have put them.
 */
@Tag("netns")
@Timeout(120)
class InitOnlyNetnsIT {

    @TempDir
    Path tmp;

    private Netns node;

    @BeforeEach
    void setUp() {
        Netns.assumeAvailable();
        node = Netns.create("usp-node");
    }

    @AfterEach
    void tearDown() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    @DisplayName("--init-only removes an earlier run's Service addresses, keeps the node's own, and exits 0")
    void initOnly_leftoversRemoved_exitsZero() throws Exception {
        node.ip("link", "set", "lo", "up");
        node.ip("addr", "add", "10.0.0.5/24", "dev", "lo");
        String device = dummyLinkSupported() ? "usproxy0" : "lo";
        List<String> add = new ArrayList<>(List.of("addr", "add", "10.96.0.99/32", "dev", device));
        if (device.equals("lo")) {
            add.addAll(List.of("label", "lo:usp"));
        }
        node.ip(add.toArray(new String[0]));
        Path state = tmp.resolve("state").resolve("vips");
        Files.createDirectories(state.getParent());
        Files.writeString(state, "10.96.0.99\n");

        Process init = node.spawn(AgentProcess.command("--init-only", "--vip-interface", "usproxy0",
                "--vip-state-file", state.toString(), "--master", "http://127.0.0.1:9"), tmp.resolve("init.log"));

        assertThat(init.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String log = Netns.readLog(tmp.resolve("init.log"));
        assertThat(init.exitValue()).as(log).isZero();
        assertThat(node.ip("-o", "addr")).doesNotContain("10.96.0.99").contains("10.0.0.5/24");
        assertThat(Files.readString(state)).isBlank();
        assertThat(log).contains("init done");
        if (device.equals("usproxy0")) {
            assertThat(node.ip("-o", "link")).contains("usproxy0");
        }
    }

    /** Whether this kernel has dummy links; when it does, {@code usproxy0} is created here for the leftovers. */
    private boolean dummyLinkSupported() {
        try {
            node.ip("link", "add", "usproxy0", "type", "dummy");
            node.ip("link", "set", "usproxy0", "up");
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }
}
