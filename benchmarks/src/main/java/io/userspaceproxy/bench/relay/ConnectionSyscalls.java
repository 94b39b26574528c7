package io.userspaceproxy.bench.relay;

import io.userspaceproxy.core.model.Protocol;
import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Counts the system calls the proxy's event loops make per proxied connection: the profile behind issue 9's
 * "no more system calls per connection than HAProxy". Starts the same in-process proxy and responder as
 * {@link TcpRelayLoopbackBenchmark}, warms up, then attaches {@code strace -c} to the event-loop threads only (the
 * client and the backend run on other threads of this JVM and are not counted), makes {@code connections} sequential
 * connections (connect, 100-byte request, 200-byte reply, close), waits until the proxy has closed them all, detaches
 * and prints strace's table divided by the connection count. Before that it makes the same number of connections
 * untraced and prints their rate and the event loops' CPU time per connection.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.userspaceproxy.bench.relay.ConnectionSyscalls [connections] [warmup] [full]
 * </pre>
 * With {@code full}, strace lists every call with its thread and time instead of counting them.
 * Needs {@code strace} and the right to trace this process (root, or {@code kernel.yama.ptrace_scope} 0). Traffic
 * stays on 127.0.0.0/8; both loops are bounded in count and every read has a timeout.
 */
public final class ConnectionSyscalls {

    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(10);

    private ConnectionSyscalls() {
    }

    public static void main(String[] args) throws Exception {
        int connections = args.length > 0 ? Integer.parseInt(args[0]) : 2_000;
        int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 2_000;
        boolean full = args.length > 2 && args[2].equals("full");
        byte[] request = new byte[TcpRelayLoopbackBenchmark.REQUEST];
        byte[] reply = new byte[TcpRelayLoopbackBenchmark.REPLY];
        try (LoopbackTcpServer responder = LoopbackTcpServer.responder(request.length, reply.length);
                LoopbackProxy proxy = LoopbackProxy.start(Protocol.TCP, TcpRelayLoopbackBenchmark.VIP,
                        responder.address())) {
            InetSocketAddress target = proxy.address(0);
            run(target, warmup, request, reply);
            proxy.awaitDrained(DRAIN_TIMEOUT);
            List<String> loops = eventLoopThreads();
            measureUntraced(proxy, target, connections, request, reply, loops);
            Path out = Files.createTempFile("conn-syscalls", ".txt");
            Process strace = attach(loops, out, full);
            long started = System.nanoTime();
            run(target, connections, request, reply);
            if (!proxy.awaitDrained(DRAIN_TIMEOUT)) {
                System.err.println("warning: connections still open after " + DRAIN_TIMEOUT);
            }
            long elapsed = System.nanoTime() - started;
            strace.destroy(); // SIGTERM: strace detaches and writes its summary
            if (!strace.waitFor(10, TimeUnit.SECONDS)) {
                strace.destroyForcibly();
                throw new IllegalStateException("strace did not exit");
            }
            System.out.printf(Locale.ROOT, "%d connections through %s in %.2f s (%d event-loop threads traced)%n",
                    connections, target, elapsed / 1e9, loops.size());
            if (full) {
                System.out.println("every call: " + out);
            } else {
                printPerConnection(Files.readAllLines(out), connections);
                Files.deleteIfExists(out);
            }
        }
    }

    /**
     * The same connections without strace (which slows every call): connections per second, and the event loops'
     * CPU time per connection (user + system, from {@code /proc}, in clock ticks of usually 10 ms).
     */
    private static void measureUntraced(LoopbackProxy proxy, InetSocketAddress target, int connections,
            byte[] request, byte[] reply, List<String> loops) throws Exception {
        long cpuBefore = cpuTicks(loops);
        long started = System.nanoTime();
        run(target, connections, request, reply);
        proxy.awaitDrained(DRAIN_TIMEOUT);
        double seconds = (System.nanoTime() - started) / 1e9;
        double cpuSeconds = (cpuTicks(loops) - cpuBefore) / 100.0;
        System.out.printf(Locale.ROOT, "untraced: %.0f connections/s, event-loop CPU %.1f us per connection%n",
                connections / seconds, cpuSeconds * 1e6 / connections);
    }

    /** utime + stime of the given threads of this process, in clock ticks (USER_HZ, 100 on Linux). */
    private static long cpuTicks(List<String> tids) throws IOException {
        long ticks = 0;
        for (String tid : tids) {
            String stat = Files.readString(Path.of("/proc/self/task", tid, "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15 of stat(5)
        }
        return ticks;
    }

    static void run(InetSocketAddress target, int n, byte[] request, byte[] reply) throws IOException {
        for (int i = 0; i < n; i++) {
            try (Socket socket = new Socket()) {
                socket.setTcpNoDelay(true);
                socket.setSoTimeout(LoopbackTcpServer.READ_TIMEOUT_MILLIS);
                socket.connect(target, LoopbackTcpServer.READ_TIMEOUT_MILLIS);
                socket.getOutputStream().write(request);
                if (socket.getInputStream().readNBytes(reply, 0, reply.length) != reply.length) {
                    throw new EOFException("short reply on connection " + i);
                }
            }
        }
    }

    /** The native thread ids of this JVM's proxy event loops ({@code proxy-epoll-*}, {@code proxy-io_uring-*}, ...). */
    private static List<String> eventLoopThreads() throws IOException {
        List<String> tids = new ArrayList<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                String name = Files.readString(task.resolve("comm")).trim();
                if (name.startsWith("proxy-")) {
                    tids.add(task.getFileName().toString());
                }
            }
        }
        if (tids.isEmpty()) {
            throw new IllegalStateException("no proxy event-loop thread found");
        }
        return tids;
    }

    /** Starts {@code strace} on {@code tids} and returns once it has attached to every one of them. */
    private static Process attach(List<String> tids, Path out, boolean full) throws IOException {
        List<String> command = new ArrayList<>(List.of("strace", full ? "-tt" : "-c", "-o", out.toString()));
        for (String tid : tids) {
            command.add("-p");
            command.add(tid);
        }
        Process strace = new ProcessBuilder(command).start();
        BufferedReader err = new BufferedReader(new InputStreamReader(strace.getErrorStream(), StandardCharsets.UTF_8));
        int attached = 0;
        for (String line; attached < tids.size() && (line = err.readLine()) != null; ) {
            if (line.contains("attached")) {
                attached++;
            } else {
                System.err.println(line);
            }
        }
        if (attached < tids.size()) {
            throw new IllegalStateException("strace attached to " + attached + " of " + tids.size() + " threads");
        }
        Thread drain = new Thread(() -> drain(err), "strace-stderr");
        drain.setDaemon(true);
        drain.start();
        return strace;
    }

    private static void drain(BufferedReader err) {
        try {
            while (err.readLine() != null) {
                // strace's progress lines; its table goes to the output file
            }
        } catch (IOException e) {
            // strace exited
        }
    }

    /** strace's rows ({@code % time, seconds, usecs/call, calls, [errors,] syscall}) as calls per connection. */
    private static void printPerConnection(List<String> table, int connections) {
        System.out.printf(Locale.ROOT, "%-16s %10s %10s%n", "syscall", "calls/conn", "errors/conn");
        for (String line : table) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 5 || !Character.isDigit(f[0].charAt(0))) {
                continue;
            }
            long calls = Long.parseLong(f[3]);
            long errors = f.length >= 6 ? Long.parseLong(f[4]) : 0;
            System.out.printf(Locale.ROOT, "%-16s %10.2f %10.2f%n", f[f.length - 1],
                    (double) calls / connections, (double) errors / connections);
        }
    }
}
