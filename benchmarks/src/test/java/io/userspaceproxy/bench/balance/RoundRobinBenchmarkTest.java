package io.userspaceproxy.bench.balance;

import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.core.model.Endpoint;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RoundRobinBenchmarkTest {

    @Test
    void pick_tenEndpoints_visitsEachOncePerRound() {
        RoundRobinBenchmark benchmark = new RoundRobinBenchmark();
        benchmark.endpoints = 10;
        benchmark.setUp();
        RoundRobinBenchmark.Cursor cursor = new RoundRobinBenchmark.Cursor();

        List<Endpoint> round = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            round.add(benchmark.pick(cursor));
        }

        assertThat(round).doesNotHaveDuplicates().hasSize(10);
    }

    @Test
    void pickAfterFailure_anyFailedEndpoint_neverReturnsIt() {
        RoundRobinBenchmark benchmark = new RoundRobinBenchmark();
        benchmark.endpoints = 1000;
        benchmark.setUp();
        RoundRobinBenchmark.Cursor cursor = new RoundRobinBenchmark.Cursor();

        for (int i = 0; i < 1024; i++) {
            Endpoint failed = benchmark.failed[cursor.next];
            assertThat(benchmark.pickAfterFailure(cursor)).isNotNull().isNotEqualTo(failed);
        }
    }
}
