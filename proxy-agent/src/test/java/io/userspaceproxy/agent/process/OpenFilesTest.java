package io.userspaceproxy.agent.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class OpenFilesTest {

    @Test
    void listenerSocketBudget_isHalfTheSoftLimit_unboundedWhenUnknownOrUnlimited() {
        assertThat(OpenFiles.listenerSocketBudget(Optional.of(new OpenFiles.Limits(20_000, 20_000)))).isEqualTo(10_000);
        assertThat(OpenFiles.listenerSocketBudget(Optional.of(new OpenFiles.Limits(50, 50)))).isEqualTo(64);
        assertThat(OpenFiles.listenerSocketBudget(Optional.of(new OpenFiles.Limits(Long.MAX_VALUE, Long.MAX_VALUE))))
                .isEqualTo(Integer.MAX_VALUE);
        assertThat(OpenFiles.listenerSocketBudget(Optional.empty())).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void parse_procLimits_readsSoftAndHardIncludingUnlimited() {
        String limits = """
                Limit                     Soft Limit           Hard Limit           Units
                Max processes             94582                94582                processes
                Max open files            1024                 524288               files
                """;
        assertThat(OpenFiles.parse(limits)).contains(new OpenFiles.Limits(1024, 524288));
        assertThat(OpenFiles.parse("Max open files            unlimited            unlimited            files"))
                .contains(new OpenFiles.Limits(Long.MAX_VALUE, Long.MAX_VALUE));
        assertThat(OpenFiles.parse("Max processes 1 1 processes")).isEmpty();
    }

    @Test
    @Timeout(60)
    void raise_processStartedWithLowSoftLimit_raisesItToTheHardLimit() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/prlimit")), "util-linux prlimit is missing");
        // HotSpot's own raise is switched off, so only the agent's code can lift the soft limit.
        List<String> cmd = new ArrayList<>(List.of("prlimit", "--nofile=256:4096", "--",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:-MaxFDLimit",
                "-cp", System.getProperty("java.class.path"), OpenFiles.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(50, TimeUnit.SECONDS)).isTrue();

        assertThat(out).contains("soft=4096 hard=4096").contains("open-files limit: 4096 (raised from 256)");
    }
}
