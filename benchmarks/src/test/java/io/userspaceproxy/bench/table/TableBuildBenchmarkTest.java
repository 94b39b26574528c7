package io.userspaceproxy.bench.table;

import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.core.table.TableDiff;
import org.junit.jupiter.api.Test;

class TableBuildBenchmarkTest {

    @Test
    void buildAndDiff_oneEndpointMoved_changesExactlyOneRouteAndRebindsNothing() {
        TableBuildBenchmark benchmark = new TableBuildBenchmark();
        benchmark.services = 1000;
        benchmark.setUp();

        TableDiff diff = benchmark.buildAndDiff();

        assertThat(diff.routeChanged()).hasSize(1);
        assertThat(diff.added()).isEmpty();
        assertThat(diff.removed()).isEmpty();
        assertThat(diff.unchanged()).isEqualTo(999);
    }

    @Test
    void snapshotBuildAndDiff_oneEndpointMoved_sameDiffAsBuildAlone() {
        TableBuildBenchmark benchmark = new TableBuildBenchmark();
        benchmark.services = 1000;
        benchmark.setUp();

        assertThat(benchmark.snapshotBuildAndDiff()).isEqualTo(benchmark.buildAndDiff());
    }
}
