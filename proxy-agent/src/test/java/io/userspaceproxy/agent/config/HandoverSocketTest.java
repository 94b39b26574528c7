package io.userspaceproxy.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class HandoverSocketTest {

    @TempDir
    Path dir;

    private AgentConfig parse(String... args) {
        AgentOptions o = new AgentOptions();
        new CommandLine(o).parseArgs(args);
        return AgentConfig.from(o);
    }

    @Test
    void defaultFor_writableRunDirectory_isThereNamedByTheMetricsPort() {
        assertThat(HandoverSocket.defaultFor(10249, dir, Path.of("/tmp")))
                .isEqualTo(dir.resolve("handover-10249.sock"));
    }

    @Test
    void defaultFor_noRunDirectory_isInTheTemporaryDirectory() {
        assertThat(HandoverSocket.defaultFor(10249, dir.resolve("absent"), dir))
                .isEqualTo(dir.resolve("userspace-proxy-handover-10249.sock"));
    }

    @Test
    void defaultFor_metricsPortZero_isNone() {
        assertThat(HandoverSocket.defaultFor(0, dir, dir)).isNull();
    }

    @Test
    void from_sameCommandLine_sameSocketAndAnotherMetricsPortAnother() {
        AgentConfig a = parse("--manifests", dir.toString());
        AgentConfig b = parse("--manifests", dir.toString());
        AgentConfig other = parse("--manifests", dir.toString(), "--metrics-bind-address", "127.0.0.1:10250");

        assertThat(a.handoverSocket()).isNotNull().isEqualTo(b.handoverSocket());
        assertThat(a.handoverSocket().getFileName()).hasToString(Files.isWritable(Path.of(HandoverSocket.RUN_DIR))
                ? "handover-10249.sock" : "userspace-proxy-handover-10249.sock");
        assertThat(other.handoverSocket()).isNotEqualTo(a.handoverSocket());
    }

    @Test
    void from_flag_pathOrNone() {
        assertThat(parse("--manifests", dir.toString(), "--handover-socket", dir.resolve("h.sock").toString())
                .handoverSocket()).isEqualTo(dir.resolve("h.sock"));
        assertThat(parse("--manifests", dir.toString(), "--handover-socket", "none").handoverSocket()).isNull();
    }

    @Test
    void from_pathLongerThanASocketAddressHolds_rejected() {
        String tooLong = "/" + "x".repeat(120);

        assertThatThrownBy(() -> parse("--manifests", dir.toString(), "--handover-socket", tooLong))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--handover-socket: \"" + tooLong + "\" (expected: a path of at most 100");
    }

    @Test
    void resolve_metricsPortZero_noDefault() {
        assertThat(HandoverSocket.resolve(null, new InetSocketAddress("127.0.0.1", 0))).isNull();
    }
}
