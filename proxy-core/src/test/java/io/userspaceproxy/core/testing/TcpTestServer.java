package io.userspaceproxy.core.testing;

import io.userspaceproxy.core.model.Endpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A blocking TCP backend for loopback tests, independent of the Netty code under test: it listens on
 * {@code 127.0.0.1} on an ephemeral port and serves every accepted connection on its own thread with
 * {@link #serve(Socket)}. Closing it closes the listener and every connection it still holds.
 */
public abstract class TcpTestServer implements AutoCloseable {

    private final ServerSocket listener;
    private final Thread acceptor;
    private final List<Socket> connections = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile boolean closed;

    protected TcpTestServer() {
        try {
            listener = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        acceptor = new Thread(this::acceptLoop, getClass().getSimpleName() + "-accept-" + listener.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Serves one accepted connection; runs on a thread of its own. The socket is closed after it returns. */
    protected abstract void serve(Socket socket) throws IOException;

    public InetSocketAddress address() {
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    public Endpoint endpoint() {
        return new Endpoint(address());
    }

    /** How many connections this server has accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket socket;
            try {
                socket = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            accepted.incrementAndGet();
            connections.add(socket);
            Thread worker = new Thread(() -> serveAndClose(socket), acceptor.getName() + "-conn");
            worker.setDaemon(true);
            worker.start();
        }
    }

    private void serveAndClose(Socket socket) {
        try (socket) {
            serve(socket);
        } catch (IOException e) {
            // The peer went away or the test closed the server: nothing to serve any more.
        } finally {
            connections.remove(socket);
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        listener.close();
        for (Socket s : connections) {
            s.close();
        }
    }
}
