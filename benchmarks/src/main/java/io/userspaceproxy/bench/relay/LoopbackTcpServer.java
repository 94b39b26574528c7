package io.userspaceproxy.bench.relay;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A backend on 127.0.0.1 for the relay benchmarks, on plain blocking sockets and its own daemon threads, so that
 * its cost is the same on the direct and the proxied path and shares nothing with the proxy's event loops.
 *
 * <ul>
 *   <li>{@link #sink}: each connection gets its own thread, which reads and discards, and after every
 *       {@code chunk} bytes writes one byte back, so the client knows the whole chunk arrived (not just that it
 *       left its socket buffer).</li>
 *   <li>{@link #responder}: the accepting thread itself reads a request of a fixed size, writes a reply of a fixed
 *       size and closes, as an HTTP server with {@code Connection: close} does; connections are served one at a
 *       time, which is all a single-threaded benchmark client needs.</li>
 * </ul>
 * Every blocking read has a timeout, so a lost peer ends a handler instead of hanging the benchmark.
 */
final class LoopbackTcpServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LoopbackTcpServer.class);

    static final int READ_TIMEOUT_MILLIS = 5_000;

    private final ServerSocket server;
    private final Thread acceptor;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    /** Serves connections when set; otherwise the accepting thread or a thread per connection does. */
    private final ExecutorService pool;

    private LoopbackTcpServer(String name, Handler handler, boolean threadPerConnection) {
        this(name, handler, threadPerConnection, null);
    }

    private LoopbackTcpServer(String name, Handler handler, boolean threadPerConnection, ExecutorService pool) {
        this.pool = pool;
        try {
            server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        acceptor = new Thread(() -> acceptLoop(name, handler, threadPerConnection), name + "-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Reads and discards; one acknowledgement byte per {@code chunk} bytes received. */
    static LoopbackTcpServer sink(int chunk) {
        return new LoopbackTcpServer("tcp-sink", socket -> {
            byte[] buffer = new byte[64 * 1024];
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            long pending = chunk;
            for (int n; (n = in.read(buffer, 0, (int) Math.min(buffer.length, pending))) >= 0; ) {
                pending -= n;
                if (pending == 0) {
                    out.write(1);
                    pending = chunk;
                }
            }
        }, true);
    }

    /**
     * Like {@link #responder(int, int)}, but {@code threads} threads serve connections side by side, for clients
     * that connect concurrently; each connection gets its own buffers.
     */
    static LoopbackTcpServer responders(int requestSize, int replySize, int threads) {
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "tcp-responder");
            t.setDaemon(true);
            return t;
        });
        return new LoopbackTcpServer("tcp-responders", socket -> {
            socket.getInputStream().readNBytes(new byte[requestSize], 0, requestSize);
            socket.getOutputStream().write(new byte[replySize]);
        }, false, pool);
    }

    /** Reads {@code requestSize} bytes, answers {@code replySize} bytes, closes. */
    static LoopbackTcpServer responder(int requestSize, int replySize) {
        byte[] request = new byte[requestSize];
        byte[] reply = new byte[replySize];
        return new LoopbackTcpServer("tcp-responder", socket -> {
            socket.getInputStream().readNBytes(request, 0, requestSize);
            socket.getOutputStream().write(reply);
        }, false);
    }

    InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    private void acceptLoop(String name, Handler handler, boolean threadPerConnection) {
        while (!server.isClosed()) {
            Socket socket;
            try {
                socket = server.accept();
                socket.setSoTimeout(READ_TIMEOUT_MILLIS);
                socket.setTcpNoDelay(true);
            } catch (IOException e) {
                return; // closed
            }
            if (pool != null) {
                pool.execute(() -> serve(socket, handler));
            } else if (threadPerConnection) {
                Thread t = new Thread(() -> serve(socket, handler), name);
                t.setDaemon(true);
                t.start();
            } else {
                serve(socket, handler);
            }
        }
    }

    private void serve(Socket socket, Handler handler) {
        open.add(socket);
        try (socket) {
            handler.handle(socket);
        } catch (SocketException e) {
            // the client reset or the server is closing: nothing to serve
        } catch (IOException e) {
            log.warn("loopback backend {}: {}", socket, e.toString());
        } finally {
            open.remove(socket);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        if (pool != null) {
            pool.shutdown();
        }
        for (Socket s : open) {
            s.close();
        }
        try {
            acceptor.join(READ_TIMEOUT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @FunctionalInterface
    private interface Handler {
        void handle(Socket socket) throws IOException;
    }
}
