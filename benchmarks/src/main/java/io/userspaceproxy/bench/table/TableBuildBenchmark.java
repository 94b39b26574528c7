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
import java.util.LinkedHashMap;
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
 * {@link #snapshotBuildAndDiff} adds the copy into a {@link ProxySnapshot}. Average and sampled time (the latter
 * gives the tail, with GC).
 *
 * <p>The build compares every route of the new snapshot with the old one, so its cost depends on what the control
 * plane hands over for the 9,999 services that did not change ({@link #handover}):
 * <ul>
 *   <li>{@code fresh}: new routes with new endpoint objects down to the addresses, equal to the old ones (a control
 *       plane that converts every EndpointSlice again on each sync); each comparison walks both object graphs;
 *   <li>{@code sameEndpoints}: new routes over the previous endpoint lists (endpoints kept per unchanged slice);
 *   <li>{@code sameRoutes}: the previous route objects themselves (unchanged services not rebuilt at all).
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class TableBuildBenchmark extends AbstractProxyBenchmark {

    static final int ENDPOINTS_PER_SERVICE = 10;

    @Param({"1000", "10000"})
    public int services;

    @Param({"fresh", "sameEndpoints", "sameRoutes"})
    public String handover;

    private ProxyCounters counters;
    private ProxyTable previous;
    private Map<ListenerKey, Route> changedRoutes;
    private ProxySnapshot changed;

    @Setup
    public void setUp() {
        List<Service> before = SyntheticCluster.generate(services, ENDPOINTS_PER_SERVICE, 1);
        ProxySnapshot initial = SyntheticCluster.snapshot(before);
        counters = new ProxyCounters();
        previous = ProxyTable.build(initial, ProxyTable.EMPTY, BalancerFactory.ROUND_ROBIN, counters);
        int moved = services / 2;
        Map<ListenerKey, Route> routes = new LinkedHashMap<>();
        for (int i = 0; i < before.size(); i++) {
            Service s = before.get(i);
            Route route;
            if (i == moved) {
                route = s.withEndpoint(0, SyntheticCluster.pod(services * ENDPOINTS_PER_SERVICE)).route();
            } else {
                route = switch (handover) {
                    case "fresh" -> s.rebuilt().route();
                    case "sameEndpoints" -> s.route();
                    case "sameRoutes" -> initial.routes().get(s.listener());
                    default -> throw new IllegalArgumentException("handover: " + handover
                            + " (expected: fresh, sameEndpoints or sameRoutes)");
                };
            }
            routes.put(s.listener(), route);
        }
        changed = new ProxySnapshot(routes);
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
