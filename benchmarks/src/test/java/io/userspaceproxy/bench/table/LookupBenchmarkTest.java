package io.userspaceproxy.bench.table;

import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.core.model.Endpoint;
import java.util.Arrays;
import java.util.HashSet;
import org.junit.jupiter.api.Test;

class LookupBenchmarkTest {

    @Test
    void proxyTableAndIptablesModel_sameProbes_routeToAnEndpointOfTheProbedService() {
        LookupBenchmark benchmark = new LookupBenchmark();
        benchmark.services = 1000;
        benchmark.setUp();

        // Both methods advance one shared cursor: even probes go to the table, odd ones to the model.
        for (int i = 0; i < 2000; i += 2) {
            assertThat(benchmark.table.lookup(benchmark.keys[i]).route().endpoints())
                    .contains(benchmark.proxyTable());
            assertThat(benchmark.table.lookup(benchmark.keys[i + 1]).route().endpoints())
                    .contains(benchmark.iptablesModel());
        }
    }

    @Test
    void routeSlot_anyProbe_isTheSlotOfTheProbedKeyAndRoutesToItsEndpoint() {
        LookupBenchmark benchmark = new LookupBenchmark();
        benchmark.services = 1000;
        benchmark.setUp();

        for (int i = 0; i < 1000; i++) {
            assertThat(benchmark.slots[i].get()).isSameAs(benchmark.table.lookup(benchmark.keys[i]));
            assertThat(benchmark.table.lookup(benchmark.keys[i]).route().endpoints())
                    .contains(benchmark.routeSlot());
        }
    }

    @Test
    void setUp_probes_coverManyServicesWhileTheHotSetCoversFew() {
        LookupBenchmark benchmark = new LookupBenchmark();
        benchmark.services = 10_000;
        benchmark.setUp();

        assertThat(new HashSet<>(Arrays.asList(benchmark.keys)).size()).isGreaterThan(9_000);
        assertThat(new HashSet<>(Arrays.asList(benchmark.hotKeys))).hasSize(LookupBenchmark.HOT_SERVICES);
    }

    @Test
    void proxyTableHotSet_anyProbe_returnsAnEndpoint() {
        LookupBenchmark benchmark = new LookupBenchmark();
        benchmark.services = 100;
        benchmark.setUp();

        Endpoint picked = benchmark.proxyTableHotSet();

        assertThat(benchmark.table.lookup(benchmark.hotKeys[0]).route().endpoints()).contains(picked);
    }
}
