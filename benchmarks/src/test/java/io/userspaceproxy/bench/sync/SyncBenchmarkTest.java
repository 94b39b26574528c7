package io.userspaceproxy.bench.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.core.table.TableDiff;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SyncBenchmarkTest {

    @ParameterizedTest
    @ValueSource(strings = {"partial", "full"})
    void oneEndpointChanged_eachInvocation_reRoutesExactlyOneListenerAndBindsNothing(String sync) {
        SyncBenchmark bench = new SyncBenchmark();
        bench.services = 100;
        bench.sync = sync;
        bench.setUp();

        for (int i = 0; i < 3; i++) {
            TableDiff diff = bench.oneEndpointChanged();
            assertThat(diff.routeChanged()).hasSize(1);
            assertThat(diff.added()).isEmpty();
            assertThat(diff.removed()).isEmpty();
            assertThat(diff.unchanged()).isEqualTo(99);
        }
    }
}
