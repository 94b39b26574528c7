package io.userspaceproxy.bench.table;

import io.userspaceproxy.bench.AbstractProxyBenchmark;
import io.userspaceproxy.bench.SyntheticCluster;
import io.userspaceproxy.bench.SyntheticCluster.Service;
import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.ProxySnapshot;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.table.ProxyTable;
import io.userspaceproxy.core.table.TableDiff;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Applying a change in the data plane's table: one endpoint of one service moved to a new pod, among 1,000 or
 * 10,000 services of 10 endpoints each. {@link #buildAndDiff} is {@link ProxyTable#build} from the previous table
 * plus {@link ProxyTable#diffFrom}, what the listener set does before its single volatile write;
 * {@link #snapshotBuildAndDiff} adds the copy into a {@link ProxySnapshot}. The new snapshot's routes and endpoints
 * are all fresh objects equal to the old ones, as a control plane that rebuilds them from its caches would hand
 * over, so the build really compares every route. Average and sampled time (the latter gives the tail, with GC).
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class TableBuildBenchmark extends AbstractProxyBenchmark {

    static final int ENDPOINTS_PER_SERVICE = 10;

    @Param({"1000", "10000"})
    public int services;

    private ProxyCounters counters;
    private ProxyTable previous;
    private Map<ListenerKey, Route> changedRoutes;
    private ProxySnapshot changed;

    @Setup
    public void setUp() {
        List<Service> before = SyntheticCluster.generate(services, ENDPOINTS_PER_SERVICE, 1);
        counters = new ProxyCounters();
        previous = ProxyTable.build(SyntheticCluster.snapshot(before), ProxyTable.EMPTY, BalancerFactory.ROUND_ROBIN,
                counters);
        List<Service> after = new ArrayList<>(before.size());
        for (Service s : before) {
            after.add(s.rebuilt());
        }
        int moved = services / 2;
        after.set(moved, after.get(moved).withEndpoint(0, SyntheticCluster.pod(services * ENDPOINTS_PER_SERVICE)));
        changed = SyntheticCluster.snapshot(after);
        changedRoutes = changed.routes();
    }

    @Benchmark
    public TableDiff buildAndDiff() {
        ProxyTable next = ProxyTable.build(changed, previous, BalancerFactory.ROUND_ROBIN, counters);
        return next.diffFrom(previous);
    }

    @Benchmark
    public TableDiff snapshotBuildAndDiff() {
        ProxySnapshot snapshot = new ProxySnapshot(changedRoutes);
        ProxyTable next = ProxyTable.build(snapshot, previous, BalancerFactory.ROUND_ROBIN, counters);
        return next.diffFrom(previous);
    }
}
