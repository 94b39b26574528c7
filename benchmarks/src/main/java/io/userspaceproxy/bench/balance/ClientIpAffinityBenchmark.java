package io.userspaceproxy.bench.balance;

import io.userspaceproxy.bench.AbstractProxyBenchmark;
import io.userspaceproxy.bench.SyntheticCluster;
import io.userspaceproxy.core.balance.AffinityTable;
import io.userspaceproxy.core.balance.LoadBalancer;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.SessionAffinity;
import java.net.InetAddress;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One ClientIP-affinity choice per new connection ({@code LoadBalancer.clientIpAffinity}), over 1, 10 and 1,000
 * endpoints, with the process-wide {@link AffinityTable} as the agent builds it ({@link AffinityTable#create()}:
 * bounded at {@value AffinityTable#DEFAULT_MAXIMUM_SIZE} clients, system clock, maintenance on the common pool).
 *
 * <ul>
 *   <li>{@link #pickHit}: {@value #HIT_CLIENTS} clients, all remembered in setup, come back: a lookup that finds a
 *       usable record and restarts its timeout.</li>
 *   <li>{@link #pickMiss}: each pick is a client not seen for {@value #MISS_CLIENTS} picks, four times more than
 *       the table holds, so it is not remembered (or, rarely, kept by Caffeine's admission policy over a newer
 *       one: trial teardown prints how many picks were hits). A miss looks up, takes the next endpoint in rotation
 *       and inserts a record; in steady state the table is full, so it also pays for an eviction.</li>
 * </ul>
 * Clients are pre-generated and indexed with a mask, so the loop allocates nothing of its own.
 */
@State(Scope.Benchmark)
public class ClientIpAffinityBenchmark extends AbstractProxyBenchmark {

    static final int HIT_CLIENTS = 1 << 10;
    static final int MISS_CLIENTS = 1 << 20;

    @Param({"1", "10", "1000"})
    public int endpoints;

    private ServicePortCounters counters;
    private LoadBalancer balancer;
    private InetAddress[] returning;
    private InetAddress[] newcomers;

    /** Each thread's position in the pre-generated clients. */
    @State(Scope.Thread)
    public static class Cursor {
        int next;

        @TearDown(Level.Trial)
        public void report() {
            System.out.printf("picks by this thread, warmup included: %,d%n", next);
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        SyntheticCluster.Service service = SyntheticCluster.generate(1, endpoints, 1).get(0);
        Route route = Route.of(service.name(), FrontendKind.CLUSTER_IP, service.endpoints())
                .withAffinity(SessionAffinity.clientIp(SessionAffinity.DEFAULT_TIMEOUT));
        counters = new ServicePortCounters();
        balancer = LoadBalancer.clientIpAffinity(route, AffinityTable.create(), counters);
        // Distinct pod addresses: newcomers come back only after MISS_CLIENTS other picks, and none of them is
        // one of the returning clients.
        newcomers = clients(0, MISS_CLIENTS);
        returning = clients(MISS_CLIENTS, HIT_CLIENTS);
        for (InetAddress client : returning) {
            balancer.pick(client);
        }
    }

    private static InetAddress[] clients(int first, int count) {
        InetAddress[] clients = new InetAddress[count];
        for (int i = 0; i < count; i++) {
            clients[i] = SyntheticCluster.ipv4(SyntheticCluster.POD_NETWORK + 1 + first + i);
        }
        return clients;
    }

    @TearDown(Level.Trial)
    public void report() {
        System.out.printf("affinity hits, warmup included: %,d%n", counters.affinityHits());
    }

    @Benchmark
    public Endpoint pickHit(Cursor cursor) {
        return balancer.pick(returning[cursor.next++ & (HIT_CLIENTS - 1)]);
    }

    @Benchmark
    public Endpoint pickMiss(Cursor cursor) {
        return balancer.pick(newcomers[cursor.next++ & (MISS_CLIENTS - 1)]);
    }

    /** The balancer's hit counter, for tests. */
    long hits() {
        return counters.affinityHits();
    }
}
