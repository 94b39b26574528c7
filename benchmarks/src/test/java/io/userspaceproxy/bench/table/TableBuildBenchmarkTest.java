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
    void buildAndDiff_oneEndpointMoved_changesExactlyOneRouteAndRebindsNothing(String handover) {
        TableBuildBenchmark benchmark = setUp(handover);

        TableDiff diff = benchmark.buildAndDiff();

        assertThat(diff.routeChanged()).hasSize(1);
        assertThat(diff.added()).isEmpty();
        assertThat(diff.removed()).isEmpty();
        assertThat(diff.unchanged()).isEqualTo(999);
    }

    @ParameterizedTest
    @ValueSource(strings = {"fresh", "sameEndpoints", "sameRoutes"})
    void snapshotBuildAndDiff_oneEndpointMoved_sameDiffAsBuildAlone(String handover) {
        TableBuildBenchmark benchmark = setUp(handover);

        assertThat(benchmark.snapshotBuildAndDiff()).isEqualTo(benchmark.buildAndDiff());
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
