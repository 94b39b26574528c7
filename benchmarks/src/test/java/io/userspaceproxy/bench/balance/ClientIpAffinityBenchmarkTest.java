package io.userspaceproxy.bench.balance;

import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.core.model.Endpoint;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ClientIpAffinityBenchmarkTest {

    @Test
    void pickHit_returningClients_areAllHitsOnTheirEndpoint() {
        ClientIpAffinityBenchmark benchmark = new ClientIpAffinityBenchmark();
        benchmark.endpoints = 10;
        benchmark.setUp();
        ClientIpAffinityBenchmark.Cursor first = new ClientIpAffinityBenchmark.Cursor();
        ClientIpAffinityBenchmark.Cursor again = new ClientIpAffinityBenchmark.Cursor();

        for (int i = 0; i < ClientIpAffinityBenchmark.HIT_CLIENTS; i++) {
            assertThat(benchmark.pickHit(again)).isEqualTo(benchmark.pickHit(first));
        }

        assertThat(benchmark.hits()).isEqualTo(2L * ClientIpAffinityBenchmark.HIT_CLIENTS);
    }

    @Test
    void pickMiss_newClients_areMissesSpreadOverEveryEndpoint() {
        ClientIpAffinityBenchmark benchmark = new ClientIpAffinityBenchmark();
        benchmark.endpoints = 10;
        benchmark.setUp();
        ClientIpAffinityBenchmark.Cursor cursor = new ClientIpAffinityBenchmark.Cursor();
        Set<Endpoint> chosen = new HashSet<>();

        for (int i = 0; i < 1000; i++) {
            chosen.add(benchmark.pickMiss(cursor));
        }

        assertThat(benchmark.hits()).isZero();
        assertThat(chosen).hasSize(10);
    }
}
