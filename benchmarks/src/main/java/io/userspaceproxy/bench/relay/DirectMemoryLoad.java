package io.userspaceproxy.bench.relay;

import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Loads a running agent (started by {@code benchmarks/e2e/direct-memory.sh} with the image's JVM flags) and reads
 * what its direct memory holds after each load, from the agent's {@code /metrics}
 * ({@code userspace_proxy_direct_memory_used_bytes}, which is the JDK's "direct" buffer pool plus Netty's own
 * counter). It is its own backend: a TCP server on {@code 127.0.0.1:tcpBackendPort} and a UDP echo on
 * {@code 127.0.0.1:udpBackendPort}, behind the Services the script writes. The phases, one after the other, each
 * ending with every socket closed and the agent back to no connection:
 * <ol>
 * <li>{@code idle}: {@code idle} connections opened and held, nothing sent;</li>
 * <li>{@code udp}: {@code flows} UDP flows: one datagram from each of that many client sockets, all sent before
 *     the replies are read, so that every flow is live at once; then waits for the agent's {@code --udp-timeout}
 *     to end them;</li>
 * <li>{@code bulk}: one connection whose backend sends {@code bulkMiB} MiB as fast as it can to a client reading
 *     64 KiB every 5 ms; the peak over samples every 100 ms;</li>
 * <li>{@code slow}: {@code slow} connections, opened 100 at a time with 200 ms between batches, whose backend
 *     writes without pause to clients that never read, then 5 s more; the peak, how many the agent refused for
 *     memory, how many it closed on an error, and how many still deliver their first byte at the end.</li>
 * </ol>
 * It uses the JDK only; the script runs it from the benchmarks jar.
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.userspaceproxy.bench.relay.DirectMemoryLoad
 *     vip:tcpPort vip:udpPort tcpBackendPort udpBackendPort metricsPort idle flows bulkMiB slow
 * </pre>
 * Traffic stays on 127.0.0.0/8; every loop is bounded in count or time and every read has a timeout. Sized to the
 * open-files limit (20,000 here): {@code idle} connections cost this tool two descriptors each, and the agent two.
 */
public final class DirectMemoryLoad {

    private static final Duration SETTLE = Duration.ofSeconds(150);
    private static final int SLOW_BATCH = 100;
    private static final String ACTIVE = "userspace_proxy_connections_active{";
    private static AgentMetrics metrics;

    private DirectMemoryLoad() {
    }

    public static void main(String[] args) throws Exception {
        InetSocketAddress tcp = address(args[0]);
        InetSocketAddress udp = address(args[1]);
        int tcpBackendPort = Integer.parseInt(args[2]);
        int udpBackendPort = Integer.parseInt(args[3]);
        metrics = new AgentMetrics(Integer.parseInt(args[4]));
        int idle = Integer.parseInt(args[5]);
        int flows = Integer.parseInt(args[6]);
        int bulkMiB = Integer.parseInt(args[7]);
        int slow = Integer.parseInt(args[8]);
        List<SocketChannel> accepted = new CopyOnWriteArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open();
                DatagramSocket echo = new DatagramSocket(new InetSocketAddress("127.0.0.1", udpBackendPort))) {
            server.bind(new InetSocketAddress("127.0.0.1", tcpBackendPort), 4096);
            Thread acceptor = daemon(() -> acceptUntilClosed(server, accepted));
            daemon(() -> echoUntilClosed(echo));
            report("baseline", metrics.directUsed(), "");
            idle(tcp, idle, accepted);
            udp(udp, flows);
            bulk(tcp, bulkMiB, accepted);
            slow(tcp, slow, accepted);
            server.close();
            acceptor.join(TimeUnit.SECONDS.toMillis(5));
        }
    }

    private static void idle(InetSocketAddress tcp, int n, List<SocketChannel> accepted) throws Exception {
        List<Socket> clients = connect(tcp, n, 0);
        metrics.await("userspace_proxy_connections_active", n, SETTLE);
        long used = metrics.directUsed();
        report("idle", used, String.format(Locale.ROOT, "%d connections, %.0f B each", n, (double) used / n));
        closeAll(clients, accepted);
    }

    private static void udp(InetSocketAddress vip, int n) throws Exception {
        byte[] payload = new byte[64];
        List<DatagramSocket> clients = new ArrayList<>(n);
        try {
            for (int i = 0; i < n; i++) {
                DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
                clients.add(client);
                client.setSoTimeout(5_000);
                client.send(new DatagramPacket(payload, payload.length, vip));
            }
            int replies = 0;
            DatagramPacket reply = new DatagramPacket(new byte[2048], 2048);
            for (DatagramSocket client : clients) {
                try {
                    client.receive(reply);
                    replies++;
                } catch (IOException timedOut) {
                    // counted as missing
                }
            }
            long active = metrics.sum("userspace_proxy_udp_flows_active{", "");
            long used = metrics.directUsed();
            report("udp", used, String.format(Locale.ROOT, "%d flows (%d live, %d replies), %.0f B each", n, active,
                    replies, (double) used / Math.max(1, active)));
        } finally {
            for (DatagramSocket client : clients) {
                client.close();
            }
        }
        // The agent's --udp-timeout must be well within SETTLE.
        metrics.await("userspace_proxy_udp_flows_active", 0, SETTLE);
    }

    private static void bulk(InetSocketAddress tcp, int mib, List<SocketChannel> accepted) throws Exception {
        Socket client = connect(tcp, 1, 64 * 1024).get(0);
        metrics.await("userspace_proxy_connections_active", 1, SETTLE);
        SocketChannel backend = accepted.get(0);
        long total = (long) mib << 20;
        Thread sender = daemon(() -> send(backend, total));
        byte[] buffer = new byte[64 * 1024];
        long read = 0;
        long peak = 0;
        long nextSample = 0;
        InputStream in = client.getInputStream();
        while (read < total) {
            int n = in.read(buffer);
            if (n < 0) {
                break;
            }
            read += n;
            if (System.nanoTime() >= nextSample) {
                peak = Math.max(peak, metrics.directUsed());
                nextSample = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        sender.join(TimeUnit.SECONDS.toMillis(5));
        report("bulk", peak, String.format(Locale.ROOT, "peak; %d of %d MiB read", read >> 20, mib));
        closeAll(List.of(client), accepted);
    }

    private static void slow(InetSocketAddress tcp, int n, List<SocketChannel> accepted) throws Exception {
        long rejectedBefore = metrics.sum("userspace_proxy_rejections_total{", "reason=\"memory\"");
        long errorsBefore = metrics.sum("userspace_proxy_connections_closed_total{", "_error\"");
        List<Socket> clients = new ArrayList<>(n);
        ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
        long peak = 0;
        for (int batch = 0; batch < n; batch += SLOW_BATCH) {
            clients.addAll(connect(tcp, Math.min(SLOW_BATCH, n - batch), 0));
            peak = Math.max(peak, writeFor(accepted, chunk, Duration.ofMillis(200)));
        }
        peak = Math.max(peak, writeFor(accepted, chunk, Duration.ofSeconds(5)));
        int relaying = 0;
        for (Socket client : clients) {
            relaying += firstByte(client) >= 0 ? 1 : 0;
        }
        long rejected = metrics.sum("userspace_proxy_rejections_total{", "reason=\"memory\"") - rejectedBefore;
        long errors = metrics.sum("userspace_proxy_connections_closed_total{", "_error\"") - errorsBefore;
        report("slow", peak, String.format(Locale.ROOT, "peak; %d connections tried in batches of %d, %d relaying "
                + "(%.0f B each), %d refused for memory, %d closed on an error", n, SLOW_BATCH, relaying,
                (double) peak / Math.max(1, relaying), rejected, errors));
        closeAll(clients, accepted);
    }

    /** Backends write to their never-reading clients for {@code period}; the peak of direct memory meanwhile. */
    private static long writeFor(List<SocketChannel> accepted, ByteBuffer chunk, Duration period) throws Exception {
        long peak = 0;
        long end = System.nanoTime() + period.toNanos();
        while (System.nanoTime() < end) {
            for (SocketChannel backend : accepted) {
                chunk.clear();
                try {
                    backend.write(chunk); // non-blocking: takes what the kernel and the agent will hold
                } catch (IOException reset) {
                    // a connection the agent refused or closed
                }
            }
            peak = Math.max(peak, metrics.directUsed());
        }
        return peak;
    }

    /** The first byte a client has received, or -1 when its connection ended or was reset. */
    private static int firstByte(Socket client) {
        try {
            return client.getInputStream().read();
        } catch (IOException reset) {
            return -1;
        }
    }

    /** {@code n} connections to {@code target}, less those reset before {@code connect} returned. */
    private static List<Socket> connect(InetSocketAddress target, int n, int receiveBuffer) throws IOException {
        List<Socket> clients = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Socket s = new Socket();
            if (receiveBuffer > 0) {
                s.setReceiveBufferSize(receiveBuffer);
            }
            try {
                s.connect(target, 5_000);
            } catch (SocketException reset) {
                s.close(); // refused by the agent (for memory, in the slow phase): the reset beat connect's return
                continue;
            }
            s.setSoTimeout(10_000);
            clients.add(s);
        }
        return clients;
    }

    /**
     * Closes the clients, then every backend connection, again until the agent has none left: a backend connection
     * still in the accept queue at the first pass is accepted later and closed at a later pass.
     */
    private static void closeAll(List<Socket> clients, List<SocketChannel> accepted) throws Exception {
        for (Socket s : clients) {
            s.close();
        }
        long end = System.nanoTime() + SETTLE.toNanos();
        do {
            for (SocketChannel c : accepted) {
                c.close();
                accepted.remove(c);
            }
            if (System.nanoTime() > end) {
                throw new IllegalStateException("connections still open: " + metrics.sum(ACTIVE, ""));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        } while (metrics.sum(ACTIVE, "") != 0);
    }

    private static void send(SocketChannel backend, long total) {
        ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
        long sent = 0;
        try {
            backend.configureBlocking(true);
            while (sent < total) {
                chunk.clear().limit((int) Math.min(chunk.capacity(), total - sent));
                sent += backend.write(chunk);
            }
        } catch (IOException e) {
            System.err.println("bulk sender: " + e);
        }
    }

    /**
     * Accepts the agent's backend connections until the server closes. An accept that fails while it is open (this
     * process at the open-files limit: 9,000 clients, their backends and the agent's retried connect attempts come
     * close to 20,000) is said once and retried, since the phases close descriptors: a thread that ended there left
     * the rest in the accept queue, half-closed by the agent and never closed by the load, and the phase waited out
     * its 150 s blaming the agent.
     */
    private static void acceptUntilClosed(ServerSocketChannel server, List<SocketChannel> accepted) {
        boolean reported = false;
        while (server.isOpen()) {
            try {
                SocketChannel c = server.accept();
                c.configureBlocking(false);
                accepted.add(c);
            } catch (IOException e) {
                if (!server.isOpen()) {
                    return;
                }
                if (!reported) {
                    System.err.println("backend accept failed, retrying: " + e);
                    reported = true;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
        }
    }

    private static void echoUntilClosed(DatagramSocket socket) {
        byte[] buffer = new byte[2048];
        while (!socket.isClosed()) {
            DatagramPacket p = new DatagramPacket(buffer, buffer.length);
            try {
                socket.receive(p);
                socket.send(new DatagramPacket(p.getData(), p.getLength(), p.getSocketAddress()));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private static void report(String phase, long bytes, String detail) {
        System.out.printf(Locale.ROOT, "%-8s direct used %8.1f MiB  %s%n", phase, bytes / 1048576.0, detail);
    }

    private static InetSocketAddress address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    /** A started daemon thread (Java 17: no {@code Thread.ofPlatform()} yet). */
    private static Thread daemon(Runnable task) {
        Thread t = new Thread(task);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
