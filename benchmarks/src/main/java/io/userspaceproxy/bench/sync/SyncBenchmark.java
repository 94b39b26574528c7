package io.userspaceproxy.bench.sync;

import io.userspaceproxy.agent.state.AddressType;
import io.userspaceproxy.agent.state.EndpointInfo;
import io.userspaceproxy.agent.state.EndpointPortInfo;
import io.userspaceproxy.agent.state.EndpointSliceInfo;
import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.agent.state.ServiceInfo;
import io.userspaceproxy.agent.state.ServicePortInfo;
import io.userspaceproxy.agent.sync.ChangeTracker;
import io.userspaceproxy.agent.sync.NodeContext;
import io.userspaceproxy.agent.sync.RouteUpdate;
import io.userspaceproxy.agent.sync.SnapshotBuilder;
import io.userspaceproxy.bench.AbstractProxyBenchmark;
import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.model.IpAddresses;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.RouteChanges;
import io.userspaceproxy.core.table.RouteTable;
import io.userspaceproxy.core.table.TableDiff;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A one-endpoint change applied the way the agent applies it, sockets aside: the EndpointSlice update enters the
 * {@link ChangeTracker}, the sync takes what changed, {@link SnapshotBuilder} rebuilds that Service's routes, and the
 * resulting {@link RouteChanges} is published into the route slots of a {@link RouteTable}. Among 1,000 to 100,000
 * Services of 10 endpoints each, one Service's slice alternates between two versions, so every invocation is a real
 * change. This is the figure behind "a one-endpoint change at 10,000 Services in under 5 ms".
 *
 * <p>{@link #sync}: {@code partial} is the agent's per-change path ({@link ChangeTracker#checkoutChanges()} then
 * {@link SnapshotBuilder#apply}); {@code full} is the baseline in the same run, a full sync of the whole state
 * ({@link ChangeTracker#checkout()} then {@link SnapshotBuilder#rebuild}, which every sync was before issue 10 and
 * which the agent still runs on start, on a node change and hourly).
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SyncBenchmark extends AbstractProxyBenchmark {

    static final int ENDPOINTS_PER_SERVICE = 10;
    private static final NodeContext NODE = new NodeContext("node-a", null, List.of());
    private static final Duration UDP_TIMEOUT = Duration.ofMillis(250);

    @Param({"1000", "10000", "100000"})
    public int services;

    @Param({"partial", "full"})
    public String sync;

    private ChangeTracker tracker;
    private SnapshotBuilder builder;
    private RouteTable table;
    private EndpointSliceInfo[] versions;
    private int flip;

    @Setup(Level.Trial)
    public void setUp() {
        if (!"partial".equals(sync) && !"full".equals(sync)) {
            throw new IllegalArgumentException("sync: " + sync + " (expected: partial or full)");
        }
        tracker = new ChangeTracker();
        builder = new SnapshotBuilder(UDP_TIMEOUT);
        for (int i = 0; i < services; i++) {
            tracker.onServiceUpserted(service(i));
            tracker.onSliceUpserted(slice(i, 0));
        }
        int moved = services / 2;
        versions = new EndpointSliceInfo[] {slice(moved, 1), slice(moved, 0)};
        table = RouteTable.create(BalancerFactory.ROUND_ROBIN, new ProxyCounters());
        table.apply(builder.rebuild(tracker.checkout(), NODE).changes());
    }

    /** One sync after one EndpointSlice changed one endpoint. */
    @Benchmark
    public TableDiff oneEndpointChanged() {
        tracker.onSliceUpserted(versions[flip]);
        flip ^= 1;
        RouteUpdate update = "partial".equals(sync)
                ? builder.apply(tracker.checkoutChanges(), NODE)
                : builder.rebuild(tracker.checkout(), NODE);
        return table.apply(update.changes());
    }

    static ServiceInfo service(int i) {
        return ServiceInfo.builder(ObjectRef.of("bench", "svc-" + i))
                .clusterIPs(List.of(address(10 << 24 | 96 << 16 | i)))
                .port(ServicePortInfo.of("http", Protocol.TCP, 80))
                .build();
    }

    /** Service {@code i}'s slice; {@code shift} moves its first endpoint to another pod address. */
    static EndpointSliceInfo slice(int i, int shift) {
        List<EndpointInfo> endpoints = new ArrayList<>(ENDPOINTS_PER_SERVICE);
        for (int e = 0; e < ENDPOINTS_PER_SERVICE; e++) {
            int pod = i * ENDPOINTS_PER_SERVICE + e + (e == 0 ? shift * 0x100000 : 0);
            endpoints.add(EndpointInfo.ready(address(10 << 24 | 128 << 16 | pod), null));
        }
        return new EndpointSliceInfo(ObjectRef.of("bench", "svc-" + i + "-abcde"), "svc-" + i, AddressType.IPV4,
                List.of(EndpointPortInfo.of("http", Protocol.TCP, 8080)), endpoints);
    }

    private static InetAddress address(int v) {
        return IpAddresses.parse(((v >>> 24) & 0xff) + "." + ((v >>> 16) & 0xff) + "." + ((v >>> 8) & 0xff) + "."
                + (v & 0xff));
    }
}
