package io.userspaceproxy.bench.relay;

import io.userspaceproxy.core.model.Protocol;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

/**
 * New connections per second through the in-process proxy against the same client and responder without it, in
 * one JVM and one run: blocks of {@code block} sequential connections (connect, 100-byte request, 200-byte reply,
 * close) alternate between the direct and the proxied path for {@code rounds} rounds, so both paths see the same
 * load from whatever else shares the machine. Prints each round and the median of the per-round ratios.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.userspaceproxy.bench.relay.ConnectionRate [rounds] [block] [warmup]
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
        byte[] request = new byte[TcpRelayLoopbackBenchmark.REQUEST];
        byte[] reply = new byte[TcpRelayLoopbackBenchmark.REPLY];
        try (LoopbackTcpServer responder = LoopbackTcpServer.responder(request.length, reply.length);
                LoopbackProxy proxy = LoopbackProxy.start(Protocol.TCP, TcpRelayLoopbackBenchmark.VIP,
                        responder.address())) {
            InetSocketAddress direct = responder.address();
            InetSocketAddress proxied = proxy.address(0);
            ConnectionSyscalls.run(direct, warmup, request, reply);
            ConnectionSyscalls.run(proxied, warmup, request, reply);
            double[] ratios = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                double directRate = rate(direct, block, request, reply);
                double proxiedRate = rate(proxied, block, request, reply);
                proxy.awaitDrained(Duration.ofSeconds(10));
                ratios[r] = proxiedRate / directRate;
                System.out.printf(Locale.ROOT, "round %2d: direct %7.0f/s  proxy %7.0f/s  proxy/direct %.3f%n",
                        r + 1, directRate, proxiedRate, ratios[r]);
            }
            Arrays.sort(ratios);
            System.out.printf(Locale.ROOT, "median proxy/direct over %d rounds of %d connections: %.3f (min %.3f, "
                    + "max %.3f)%n", rounds, block, ratios[rounds / 2], ratios[0], ratios[rounds - 1]);
        }
    }

    private static double rate(InetSocketAddress target, int n, byte[] request, byte[] reply) throws Exception {
        long started = System.nanoTime();
        ConnectionSyscalls.run(target, n, request, reply);
        return n / ((System.nanoTime() - started) / 1e9);
    }
}
