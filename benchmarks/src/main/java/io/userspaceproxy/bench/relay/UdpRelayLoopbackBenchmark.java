package io.userspaceproxy.bench.relay;

import io.userspaceproxy.bench.AbstractProxyBenchmark;
import io.userspaceproxy.core.model.Protocol;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * UDP datagram round trips through the real relay on loopback against the same client and echo backend without
 * it, in one run: {@code path=direct} sends to the backend on 127.0.0.1, {@code path=proxy} to a VIP on 127.0.21.1
 * served by a {@link io.userspaceproxy.core.listen.ListenerSet} in this JVM (one flow: the client keeps its
 * socket). Each invocation sends one {@code size}-byte datagram carrying a sequence number and waits for its echo;
 * ops/s is round trips per second, one datagram in flight, so it measures the relay's per-datagram latency
 * (mostly thread wake-ups) rather than its capacity. {@link #window} keeps {@value #WINDOW} datagrams in flight
 * and counts each echoed datagram: closer to a rate.
 *
 * <p>A datagram not answered within {@value #TIMEOUT_MILLIS} ms counts as lost ({@link Losses#lost}, reported by
 * JMH beside the rate); a late echo of an earlier sequence number is skipped, so it is never taken for the
 * current one. In {@link #window}, every echo not back within the timeout counts as lost.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class UdpRelayLoopbackBenchmark extends AbstractProxyBenchmark {

    static final String VIP = "127.0.21.1";
    static final int TIMEOUT_MILLIS = 200;
    static final int WINDOW = 32;
    /** Client sockets of {@link #windowClients}: eight flows, which the proxy's reuseport sockets spread over loops. */
    static final int CLIENTS = 8;

    @Param({"direct", "proxy"})
    public String path;

    @Param({"64", "1400"})
    public int size;

    private LoopbackUdpEcho echo;
    private LoopbackProxy proxy;
    private DatagramSocket client;
    private final DatagramSocket[] clients = new DatagramSocket[CLIENTS];
    private DatagramPacket out;
    private DatagramPacket in;
    private ByteBuffer outBytes;
    private ByteBuffer inBytes;
    private long sequence;

    /** Datagrams whose echo did not come back in time, per iteration. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Losses {
        public long lost;

        @Setup(Level.Iteration)
        public void reset() {
            lost = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        echo = new LoopbackUdpEcho();
        InetSocketAddress target = switch (path) {
            case "direct" -> echo.address();
            case "proxy" -> {
                proxy = LoopbackProxy.start(Protocol.UDP, VIP, echo.address());
                yield proxy.address(0);
            }
            default -> throw new IllegalArgumentException("path: " + path + " (expected: direct, proxy)");
        };
        client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        client.connect(target);
        client.setSoTimeout(TIMEOUT_MILLIS);
        for (int c = 0; c < CLIENTS; c++) {
            clients[c] = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            clients[c].connect(target);
            clients[c].setSoTimeout(TIMEOUT_MILLIS);
        }
        byte[] o = new byte[size];
        byte[] i = new byte[Math.max(size, 2048)];
        out = new DatagramPacket(o, size);
        in = new DatagramPacket(i, i.length);
        outBytes = ByteBuffer.wrap(o);
        inBytes = ByteBuffer.wrap(i);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (client != null) {
            client.close();
        }
        for (DatagramSocket c : clients) {
            if (c != null) {
                c.close();
            }
        }
        if (proxy != null) {
            proxy.close();
        }
        if (echo != null) {
            echo.close();
        }
    }

    /** One datagram out and its echo back; returns the echoed sequence number, or -1 when it was lost. */
    @Benchmark
    public long roundTrip(Losses losses) throws IOException {
        long seq = ++sequence;
        outBytes.putLong(0, seq);
        client.send(out);
        try {
            while (true) {
                in.setLength(inBytes.capacity());
                client.receive(in);
                if (in.getLength() == size && inBytes.getLong(0) == seq) {
                    return seq;
                }
            }
        } catch (SocketTimeoutException e) {
            losses.lost++;
            return -1;
        }
    }

    /**
     * {@value #WINDOW} datagrams sent back to back, then their echoes received: a rate with a window of datagrams
     * in flight, counted per datagram (ops/s is echoed datagrams per second). Returns how many came back.
     */
    @Benchmark
    @OperationsPerInvocation(WINDOW)
    public int window(Losses losses) throws IOException {
        long first = sequence + 1;
        for (int i = 0; i < WINDOW; i++) {
            outBytes.putLong(0, ++sequence);
            client.send(out);
        }
        int received = 0;
        try {
            while (received < WINDOW) {
                in.setLength(inBytes.capacity());
                client.receive(in);
                if (in.getLength() == size && inBytes.getLong(0) >= first) {
                    received++;
                }
            }
        } catch (SocketTimeoutException e) {
            losses.lost += WINDOW - received;
        }
        return received;
    }

    /**
     * As {@link #window}, over {@value #CLIENTS} client sockets (flows): {@value #WINDOW} / {@value #CLIENTS} datagrams
     * sent from each in turn, then each one's echoes received. On epoll the proxy's flows spread over its loops.
     */
    @Benchmark
    @OperationsPerInvocation(WINDOW)
    public int windowClients(Losses losses) throws IOException {
        int perClient = WINDOW / CLIENTS;
        long first = sequence + 1;
        for (int i = 0; i < perClient; i++) {
            for (DatagramSocket c : clients) {
                outBytes.putLong(0, ++sequence);
                c.send(out);
            }
        }
        int received = 0;
        for (DatagramSocket c : clients) {
            int got = 0;
            try {
                while (got < perClient) {
                    in.setLength(inBytes.capacity());
                    c.receive(in);
                    if (in.getLength() == size && inBytes.getLong(0) >= first) {
                        got++;
                    }
                }
            } catch (SocketTimeoutException e) {
                losses.lost += perClient - got;
            }
            received += got;
        }
        return received;
    }

    /** Datagrams the proxy relayed to the backend so far, for tests; zero on the direct path. */
    long proxiedDatagramsToBackend() {
        return proxy == null ? 0 : proxy.counters(0).udpDatagramsToBackend();
    }
}
