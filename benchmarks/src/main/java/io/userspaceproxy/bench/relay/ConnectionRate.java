package io.userspaceproxy.bench.relay;

import io.userspaceproxy.core.model.Protocol;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * New connections per second through the in-process proxy against the same client and responder without it, in
 * one JVM and one run: blocks of {@code block} connections (connect, 100-byte request, 200-byte reply, close)
 * alternate between the direct and the proxied path for {@code rounds} rounds, so both paths see the same load from
 * whatever else shares the machine. Prints each round and the median of the per-round ratios. With
 * {@code clients} above 1, that many client threads share each block, against as many responder threads.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.userspaceproxy.bench.relay.ConnectionRate [rounds] [block] [warmup]
 *     [clients]
 * </pre>
 * Traffic stays on 127.0.0.0/8; every loop is bounded in count and every read has a timeout.
 */
public final class ConnectionRate {

    private ConnectionRate() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int block = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
        int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 3_000;
        int clients = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        byte[] request = new byte[TcpRelayLoopbackBenchmark.REQUEST];
        byte[] reply = new byte[TcpRelayLoopbackBenchmark.REPLY];
        try (LoopbackTcpServer responder = clients == 1
                        ? LoopbackTcpServer.responder(request.length, reply.length)
                        : LoopbackTcpServer.responders(request.length, reply.length, clients);
                LoopbackProxy proxy = LoopbackProxy.start(Protocol.TCP, TcpRelayLoopbackBenchmark.VIP,
                        responder.address())) {
            InetSocketAddress direct = responder.address();
            InetSocketAddress proxied = proxy.address(0);
            rate(direct, warmup, clients);
            rate(proxied, warmup, clients);
            double[] ratios = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                double directRate = rate(direct, block, clients);
                double proxiedRate = rate(proxied, block, clients);
                proxy.awaitDrained(Duration.ofSeconds(10));
                ratios[r] = proxiedRate / directRate;
                System.out.printf(Locale.ROOT, "round %2d: direct %7.0f/s  proxy %7.0f/s  proxy/direct %.3f%n",
                        r + 1, directRate, proxiedRate, ratios[r]);
            }
            Arrays.sort(ratios);
            System.out.printf(Locale.ROOT, "median proxy/direct over %d rounds of %d connections (%d clients): %.3f "
                    + "(min %.3f, max %.3f)%n", rounds, block, clients, ratios[rounds / 2], ratios[0],
                    ratios[rounds - 1]);
        }
    }

    /** {@code n} connections to {@code target} over {@code clients} threads; connections per second. */
    private static double rate(InetSocketAddress target, int n, int clients) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(clients);
        try {
            List<Future<?>> done = new ArrayList<>(clients);
            long started = System.nanoTime();
            for (int c = 0; c < clients; c++) {
                int share = n / clients + (c < n % clients ? 1 : 0);
                done.add(threads.submit(() -> {
                    ConnectionSyscalls.run(target, share, new byte[TcpRelayLoopbackBenchmark.REQUEST],
                            new byte[TcpRelayLoopbackBenchmark.REPLY]);
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            return n / ((System.nanoTime() - started) / 1e9);
        } finally {
            threads.shutdownNow();
        }
    }
}
