package io.userspaceproxy.bench.balance;

import io.userspaceproxy.bench.AbstractProxyBenchmark;
import io.userspaceproxy.bench.SyntheticCluster;
import io.userspaceproxy.core.balance.LoadBalancer;
import io.userspaceproxy.core.model.Endpoint;
import java.net.InetAddress;
import java.util.List;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One pick per new connection for each per-Service algorithm over 10 and 100 endpoints: round-robin (the baseline),
 * least connections (a scan of the endpoints' counters, some of them busy) and Maglev (a hash and an array read).
 */
@State(Scope.Benchmark)
public class AlgorithmPickBenchmark extends AbstractProxyBenchmark {

    private static final int INPUTS = 1024;
    private static final int MASK = INPUTS - 1;

    @Param({"round-robin", "least-connections", "maglev"})
    public String algorithm;

    @Param({"10", "100"})
    public int endpoints;

    private LoadBalancer balancer;
    private InetAddress[] clients;
    private int next;

    @Setup
    public void setUp() {
        List<Endpoint> eps = SyntheticCluster.generate(1, endpoints, 1).get(0).endpoints();
        balancer = switch (algorithm) {
            case "round-robin" -> LoadBalancer.roundRobin(eps);
            case "least-connections" -> LoadBalancer.leastConnections(eps);
            case "maglev" -> LoadBalancer.maglev(eps);
            default -> throw new IllegalArgumentException("algorithm: " + algorithm);
        };
        for (int i = 0; i < eps.size(); i += 3) {
            balancer.onConnected(eps.get(i)); // some load, so least connections cannot stop at the first idle one
        }
        clients = SyntheticCluster.clients(INPUTS, 2);
    }

    @Benchmark
    public Endpoint pick() {
        return balancer.pick(clients[next++ & MASK]);
    }
}
