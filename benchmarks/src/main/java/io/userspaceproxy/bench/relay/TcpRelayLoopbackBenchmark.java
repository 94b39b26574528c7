package io.userspaceproxy.bench.relay;

import io.userspaceproxy.bench.AbstractProxyBenchmark;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.relay.RelayOptions;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
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
 * TCP through the real relay on loopback against the same client and backend without it, in one run:
 * {@code path=direct} connects to the backend on 127.0.0.1, {@code path=proxy} to a VIP on 127.0.20.1 served by a
 * {@link io.userspaceproxy.core.listen.ListenerSet} in this JVM, which connects to the same backend, as the agent
 * runs it (bulk connections move to splice(2) on epoll); {@code path=proxy-copy} is the same proxy with splicing off,
 * every byte copied through the JVM. The backends
 * ({@link LoopbackTcpServer}) run on their own threads; client, proxy and backend share the machine's cores, so the
 * ratio of the two paths is the figure to read, not either rate alone.
 *
 * <ul>
 *   <li>{@link #bulk}: one long-lived connection; each invocation writes {@value #CHUNK_MIB} MiB and waits for the
 *       backend's acknowledgement that all of it arrived. Counted per MiB, so ops/s is MiB/s and
 *       {@code gc.alloc.rate.norm} is bytes allocated (client, proxy and backend together) per MiB relayed.</li>
 *   <li>{@link #connectRequestClose}: a new connection per invocation: connect, send {@value #REQUEST} bytes, read
 *       the {@value #REPLY}-byte reply, close. ops/s is connections per second.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class TcpRelayLoopbackBenchmark extends AbstractProxyBenchmark {

    static final int CHUNK_MIB = 4;
    static final int CHUNK = CHUNK_MIB << 20;
    static final int REQUEST = 100;
    static final int REPLY = 200;
    static final String VIP = "127.0.20.1";

    @Param({"direct", "proxy", "proxy-copy"})
    public String path;

    private LoopbackTcpServer sink;
    private LoopbackTcpServer responder;
    private LoopbackProxy proxy;
    private InetSocketAddress sinkTarget;
    private InetSocketAddress responderTarget;

    private Socket bulkConnection;
    private OutputStream bulkOut;
    private InputStream bulkIn;
    private final byte[] data = new byte[256 * 1024];
    private final byte[] request = new byte[REQUEST];
    private final byte[] reply = new byte[REPLY];

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        sink = LoopbackTcpServer.sink(CHUNK);
        responder = LoopbackTcpServer.responder(REQUEST, REPLY);
        switch (path) {
            case "direct" -> {
                sinkTarget = sink.address();
                responderTarget = responder.address();
            }
            case "proxy", "proxy-copy" -> {
                RelayOptions relay = path.equals("proxy") ? RelayOptions.DEFAULT
                        : RelayOptions.DEFAULT.withSpliceThresholdBytes(0);
                proxy = LoopbackProxy.start(Protocol.TCP, VIP, relay, sink.address(), responder.address());
                sinkTarget = proxy.address(0);
                responderTarget = proxy.address(1);
            }
            default -> throw new IllegalArgumentException("path: " + path + " (expected: direct, proxy, proxy-copy)");
        }
        bulkConnection = connect(sinkTarget);
        bulkOut = bulkConnection.getOutputStream();
        bulkIn = bulkConnection.getInputStream();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (bulkConnection != null) {
            bulkConnection.close();
        }
        for (AutoCloseable c : new AutoCloseable[] {proxy, sink, responder}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IOException("closing " + c, e);
                }
            }
        }
    }

    /** Streams {@value #CHUNK_MIB} MiB to the sink and waits for its acknowledgement; returns the byte count. */
    @Benchmark
    @OperationsPerInvocation(CHUNK_MIB)
    public int bulk() throws IOException {
        for (int sent = 0; sent < CHUNK; sent += data.length) {
            bulkOut.write(data);
        }
        if (bulkIn.read() < 0) {
            throw new EOFException("sink closed the connection");
        }
        return CHUNK;
    }

    /** One short-lived connection with one request and its reply; returns the reply's first byte. */
    @Benchmark
    public int connectRequestClose() throws IOException {
        try (Socket socket = connect(responderTarget)) {
            socket.getOutputStream().write(request);
            int n = socket.getInputStream().readNBytes(reply, 0, REPLY);
            if (n != REPLY) {
                throw new EOFException("reply of " + n + " bytes (expected " + REPLY + ")");
            }
            return reply[0];
        }
    }

    /** What the proxy relayed so far, for tests; zero on the direct path. */
    long proxiedBytesToBackend() {
        return proxy == null ? 0 : proxy.counters(0).bytesToBackend() + proxy.counters(1).bytesToBackend();
    }

    private static Socket connect(InetSocketAddress target) throws IOException {
        Socket socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(LoopbackTcpServer.READ_TIMEOUT_MILLIS);
        socket.connect(target, LoopbackTcpServer.READ_TIMEOUT_MILLIS);
        return socket;
    }
}
