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
import io.userspaceproxy.agent.sync.SnapshotBuilder;
import io.userspaceproxy.bench.AbstractProxyBenchmark;
import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.model.IpAddresses;
import io.userspaceproxy.core.model.ProxySnapshot;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.table.ProxyTable;
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
 * {@link ChangeTracker}, the sync takes a checkout, {@link SnapshotBuilder} builds the snapshot, and
 * {@link ProxyTable#apply(ProxySnapshot)} publishes it into the listeners' route slots. Among 1,000 or
 * 10,000 Services of 10 endpoints each, one Service's slice alternates between two versions, so every invocation is
 * a real change. This is the end-to-end figure behind "a one-endpoint change at 10,000 Services in under 5 ms";
 * {@code TableBuildBenchmark} isolates the table step.
 *
 * <p>{@link #builder}: {@code memo} is the agent as it runs (one builder, which hands unchanged Services' routes
 * over as the same objects); {@code fresh} gives every sync a new builder, so every route is rebuilt and compared
 * endpoint by endpoint: the behaviour before the builder remembered its routes, measured in the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SyncBenchmark extends AbstractProxyBenchmark {

    static final int ENDPOINTS_PER_SERVICE = 10;
    private static final NodeContext NODE = new NodeContext("node-a", null, List.of());
    private static final Duration UDP_TIMEOUT = Duration.ofMillis(250);

    @Param({"1000", "10000"})
    public int services;

    @Param({"memo", "fresh"})
    public String builder;

    private ChangeTracker tracker;
    private SnapshotBuilder snapshots;
    private ProxyCounters counters;
    private ProxySnapshot served;
    private ProxyTable table;
    private EndpointSliceInfo[] versions;
    private int flip;

    @Setup(Level.Trial)
    public void setUp() {
        tracker = new ChangeTracker();
        if (!"memo".equals(builder) && !"fresh".equals(builder)) {
            throw new IllegalArgumentException("builder: " + builder + " (expected: memo or fresh)");
        }
        snapshots = new SnapshotBuilder(UDP_TIMEOUT);
        counters = new ProxyCounters();
        for (int i = 0; i < services; i++) {
            tracker.onServiceUpserted(service(i));
            tracker.onSliceUpserted(slice(i, 0));
        }
        int moved = services / 2;
        versions = new EndpointSliceInfo[] {slice(moved, 1), slice(moved, 0)};
        served = snapshots.build(tracker.checkout(), NODE).snapshot();
        table = ProxyTable.create(BalancerFactory.ROUND_ROBIN, counters);
        table.apply(served);
    }

    /** One sync after one EndpointSlice changed one endpoint. */
    @Benchmark
    public TableDiff oneEndpointChanged() {
        tracker.onSliceUpserted(versions[flip]);
        flip ^= 1;
        SnapshotBuilder b = "memo".equals(builder) ? snapshots : new SnapshotBuilder(UDP_TIMEOUT);
        ProxySnapshot next = b.build(tracker.checkout(), NODE, served).snapshot();
        TableDiff diff = table.apply(next);
        served = next;
        return diff;
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
