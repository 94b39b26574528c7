package io.userspaceproxy.bench.balance;

import io.userspaceproxy.bench.AbstractProxyBenchmark;
import io.userspaceproxy.bench.SyntheticCluster;
import io.userspaceproxy.core.balance.LoadBalancer;
import io.userspaceproxy.core.model.Endpoint;
import java.net.InetAddress;
import java.util.SplittableRandom;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * One round-robin choice per new connection, over 1, 10 and 1,000 endpoints. {@link #pick} is the accept path;
 * {@link #pickShared} is the same with two threads on one balancer, as two event loops accepting for the same
 * Service contend on its cursor; {@link #pickAfterFailure} is the retry after a failed connect, which finds the
 * failed endpoint by a scan. Clients and failed endpoints are pre-generated and indexed with a mask, so the
 * loop measures the balancer and nothing else.
 */
@State(Scope.Benchmark)
public class RoundRobinBenchmark extends AbstractProxyBenchmark {

    private static final int INPUTS = 1024;
    private static final int MASK = INPUTS - 1;

    @Param({"1", "10", "1000"})
    public int endpoints;

    private LoadBalancer balancer;
    private InetAddress[] clients;
    Endpoint[] failed;

    /** Each thread's position in the pre-generated inputs. */
    @State(Scope.Thread)
    public static class Cursor {
        int next;
    }

    @Setup
    public void setUp() {
        balancer = LoadBalancer.roundRobin(SyntheticCluster.generate(1, endpoints, 1).get(0).endpoints());
        clients = SyntheticCluster.clients(INPUTS, 2);
        SplittableRandom random = new SplittableRandom(3);
        failed = new Endpoint[INPUTS];
        for (int i = 0; i < INPUTS; i++) {
            failed[i] = balancer.endpoints().get(random.nextInt(endpoints));
        }
    }

    @Benchmark
    public Endpoint pick(Cursor cursor) {
        return balancer.pick(clients[cursor.next++ & MASK]);
    }

    @Benchmark
    @Threads(2)
    public Endpoint pickShared(Cursor cursor) {
        return balancer.pick(clients[cursor.next++ & MASK]);
    }

    @Benchmark
    public Endpoint pickAfterFailure(Cursor cursor) {
        int i = cursor.next++ & MASK;
        return balancer.pickAfterFailure(clients[i], failed[i]);
    }
}
