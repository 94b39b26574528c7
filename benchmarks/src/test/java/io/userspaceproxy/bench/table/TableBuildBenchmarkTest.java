package io.userspaceproxy.bench.table;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.userspaceproxy.core.table.TableDiff;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TableBuildBenchmarkTest {

    @ParameterizedTest
    @ValueSource(strings = {"fresh", "sameEndpoints", "sameRoutes"})
    void applySnapshot_oneEndpointMovedAndBack_changesExactlyOneRouteAndRebindsNothing(String handover) {
        TableBuildBenchmark benchmark = setUp(handover);

        for (int i = 0; i < 2; i++) {
            TableDiff diff = benchmark.applySnapshot();

            assertThat(diff.routeChanged()).hasSize(1);
            assertThat(diff.added()).isEmpty();
            assertThat(diff.removed()).isEmpty();
            assertThat(diff.unchanged()).isEqualTo(999);
        }
    }

    @Test
    void applyChange_oneEndpointMovedAndBack_sameDiffAsTheSnapshot() {
        TableBuildBenchmark incremental = setUp("sameRoutes");
        TableBuildBenchmark whole = setUp("sameRoutes");

        for (int i = 0; i < 2; i++) {
            assertThat(incremental.applyChange()).isEqualTo(whole.applySnapshot());
        }
    }

    @Test
    void setUp_unknownHandover_namesTheExpectedValues() {
        assertThatThrownBy(() -> setUp("reuse"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("handover: reuse (expected: fresh, sameEndpoints or sameRoutes)");
    }

    private static TableBuildBenchmark setUp(String handover) {
        TableBuildBenchmark benchmark = new TableBuildBenchmark();
        benchmark.services = 1000;
        benchmark.handover = handover;
        benchmark.setUp();
        return benchmark;
    }
}
