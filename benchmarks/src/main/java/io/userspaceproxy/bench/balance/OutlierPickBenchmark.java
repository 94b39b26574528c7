package io.userspaceproxy.bench.balance;

import io.userspaceproxy.bench.AbstractProxyBenchmark;
import io.userspaceproxy.bench.SyntheticCluster;
import io.userspaceproxy.core.balance.AffinityTable;
import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.balance.LoadBalancer;
import io.userspaceproxy.core.balance.OutlierTable;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.OutlierDetection;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.ServicePortName;
import java.net.InetAddress;
import java.util.List;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What passive outlier detection adds to a round-robin pick, over 10 endpoints: {@code mode=off} is the plain
 * balancer (the baseline), {@code on} wraps it with nothing ejected (the everyday case: one volatile read more), and
 * {@code one-ejected} has one endpoint out, so one pick in ten walks on to the next. Each should be allocation-free.
 */
@State(Scope.Benchmark)
public class OutlierPickBenchmark extends AbstractProxyBenchmark {

    private static final int INPUTS = 1024;
    private static final int MASK = INPUTS - 1;
    private static final ServicePortName WEB = new ServicePortName("bench", "web", "http", Protocol.TCP);

    @Param({"off", "on", "one-ejected"})
    public String mode;

    private LoadBalancer balancer;
    private InetAddress[] clients;
    private int next;

    @Setup
    public void setUp() {
        List<Endpoint> endpoints = SyntheticCluster.generate(1, 10, 1).get(0).endpoints();
        BalancerFactory factory = BalancerFactory.of(AffinityTable.create(), OutlierTable.create(),
                new ProxyCounters());
        OutlierDetection detection = mode.equals("off") ? OutlierDetection.OFF : OutlierDetection.DEFAULT;
        balancer = factory.create(Route.of(WEB, FrontendKind.CLUSTER_IP, endpoints).withOutlierDetection(detection));
        if (mode.equals("one-ejected")) {
            for (int i = 0; i < detection.consecutive(); i++) {
                balancer.onConnectFailed(endpoints.get(3));
            }
        }
        clients = SyntheticCluster.clients(INPUTS, 2);
    }

    @Benchmark
    public Endpoint pick() {
        return balancer.pick(clients[next++ & MASK]);
    }
}
