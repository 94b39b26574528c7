package io.userspaceproxy.bench.table;

import io.userspaceproxy.bench.AbstractProxyBenchmark;
import io.userspaceproxy.bench.SyntheticCluster;
import io.userspaceproxy.bench.SyntheticCluster.Service;
import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteChanges;
import io.userspaceproxy.core.model.RouteSnapshot;
import io.userspaceproxy.core.table.RouteTable;
import io.userspaceproxy.core.table.TableDiff;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * Applying a change to the data plane's table of route slots: one endpoint of one service moved to a new pod and
 * back, alternately, among 1,000 or 10,000 services of 10 endpoints each, so that every invocation is a real change.
 * {@link #applyChange} is what the agent does now: a {@link RouteChanges} that names the one route, published into
 * its slot. {@link #applySnapshot} is the baseline in the same run: the whole desired state handed over and compared
 * route by route ({@link RouteTable#apply(RouteSnapshot)}), what every sync did before the control plane became
 * incremental, and what a full resync still does. Average and sampled time (the latter gives the tail, with GC).
 *
 * <p>The snapshot apply compares every route with the one served, so its cost depends on what is handed over for the
 * services that did not change ({@link #handover}):
 * <ul>
 *   <li>{@code fresh}: new routes with new endpoint objects down to the addresses, equal to the old ones (a control
 *       plane that converts every EndpointSlice again on each sync); each comparison walks both object graphs;
 *   <li>{@code sameEndpoints}: new routes over the previous endpoint lists (endpoints kept per unchanged slice);
 *   <li>{@code sameRoutes}: the previous route objects themselves (unchanged services not rebuilt at all).
 * </ul>
 * {@code applyChange} does not depend on it.
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

    private RouteTable table;
    /** The whole state with the moved endpoint, and as it started. */
    private final RouteSnapshot[] snapshots = new RouteSnapshot[2];
    /** The one route, moved and as it started. */
    private final RouteChanges[] changes = new RouteChanges[2];
    private int flip;

    @Setup
    public void setUp() {
        List<Service> before = SyntheticCluster.generate(services, ENDPOINTS_PER_SERVICE, 1);
        RouteSnapshot initial = SyntheticCluster.snapshot(before);
        table = RouteTable.create(BalancerFactory.ROUND_ROBIN, new ProxyCounters());
        table.apply(initial);
        int moved = services / 2;
        Map<ListenerKey, Route> routes = new LinkedHashMap<>();
        for (int i = 0; i < before.size(); i++) {
            Service s = before.get(i);
            Route route;
            if (i == moved) {
                route = s.withEndpoint(0, SyntheticCluster.pod(services * ENDPOINTS_PER_SERVICE)).route();
                changes[0] = new RouteChanges(Map.of(s.listener(), route), Set.of());
                changes[1] = new RouteChanges(Map.of(s.listener(), initial.routes().get(s.listener())), Set.of());
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
        snapshots[0] = new RouteSnapshot(routes);
        snapshots[1] = initial;
    }

    @Benchmark
    public TableDiff applyChange() {
        RouteChanges change = changes[flip];
        flip ^= 1;
        return table.apply(change);
    }

    @Benchmark
    public TableDiff applySnapshot() {
        RouteSnapshot snapshot = snapshots[flip];
        flip ^= 1;
        return table.apply(snapshot);
    }
}
