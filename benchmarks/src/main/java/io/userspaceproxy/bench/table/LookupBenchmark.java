package io.userspaceproxy.bench.table;

import io.userspaceproxy.bench.AbstractProxyBenchmark;
import io.userspaceproxy.bench.SyntheticCluster;
import io.userspaceproxy.bench.SyntheticCluster.Service;
import io.userspaceproxy.bench.iptables.IptablesNatModel;
import io.userspaceproxy.bench.iptables.IptablesNatModel.Packet;
import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.table.LiveRoute;
import io.userspaceproxy.core.table.RouteSlot;
import io.userspaceproxy.core.table.RouteTable;
import java.net.Inet4Address;
import java.util.List;
import java.util.SplittableRandom;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Routing one new connection to a ClusterIP, ours beside iptables mode's, for 10 to 100,000 service ports of 10
 * endpoints each. {@link #routeSlot} is what an accepted connection costs the userspace proxy before it connects: one
 * read of its listener's {@link RouteSlot}, then {@code pick}; {@link #proxyTable} is the lookup by the listener's key
 * it replaced ({@link RouteTable#lookup}), measured beside it. {@link #iptablesModel} is what the kernel does
 * for the same connection's first packet under kube-proxy's iptables mode ({@link IptablesNatModel}). Both measure
 * in the same fork against the same services, so their ratio at each size comes from one run.
 *
 * <p>Each invocation takes the next of 65,536 pre-generated probes (a uniformly random service and a random
 * in-cluster client), so at large sizes the table does not sit in cache any more than it would on a busy node.
 * {@link #proxyTableHotSet} is the control: the same lookup with probes drawn from only {@value #HOT_SERVICES}
 * services, whose objects stay in cache. Where {@code proxyTable} grows with size and {@code proxyTableHotSet} does
 * not, the growth is cache misses on a larger heap, not more work per lookup.
 */
@State(Scope.Thread)
public class LookupBenchmark extends AbstractProxyBenchmark {

    static final int ENDPOINTS_PER_SERVICE = 10;
    private static final int PROBES = 1 << 16;
    private static final int MASK = PROBES - 1;
    static final int HOT_SERVICES = 64;

    @Param({"10", "1000", "10000", "100000"})
    public int services;

    RouteTable table;
    ListenerKey[] keys;
    RouteSlot[] slots;
    ListenerKey[] hotKeys;
    private IptablesNatModel model;
    private Inet4Address[] clients;
    private Packet[] packets;
    private int next;

    @Setup
    public void setUp() {
        List<Service> cluster = SyntheticCluster.generate(services, ENDPOINTS_PER_SERVICE, 1);
        table = RouteTable.create(BalancerFactory.ROUND_ROBIN, new ProxyCounters());
        table.apply(SyntheticCluster.snapshot(cluster));
        model = IptablesNatModel.of(cluster);
        keys = new ListenerKey[PROBES];
        slots = new RouteSlot[PROBES];
        clients = SyntheticCluster.clients(PROBES, 2);
        packets = new Packet[PROBES];
        hotKeys = new ListenerKey[PROBES];
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < PROBES; i++) {
            hotKeys[i] = cluster.get(random.nextInt(Math.min(HOT_SERVICES, services))).listener();
        }
        for (int i = 0; i < PROBES; i++) {
            // The listener holds the key it was bound with: the same instance as the table's.
            ListenerKey key = cluster.get(random.nextInt(services)).listener();
            keys[i] = key;
            slots[i] = table.slot(key);
            int vip = SyntheticCluster.toInt(key.address().getAddress());
            packets[i] = new Packet(SyntheticCluster.toInt(clients[i]), vip, IptablesNatModel.PROTO_TCP,
                    key.address().getPort());
        }
    }

    @Benchmark
    public Endpoint routeSlot() {
        int i = next++ & MASK;
        return slots[i].get().balancer().pick(clients[i]);
    }

    @Benchmark
    public Endpoint proxyTable() {
        int i = next++ & MASK;
        LiveRoute route = table.lookup(keys[i]);
        return route.balancer().pick(clients[i]);
    }

    @Benchmark
    public Endpoint proxyTableHotSet() {
        int i = next++ & MASK;
        LiveRoute route = table.lookup(hotKeys[i]);
        return route.balancer().pick(clients[i]);
    }

    @Benchmark
    public Endpoint iptablesModel() {
        return model.route(packets[next++ & MASK]);
    }
}
