package io.userspaceproxy.core.testing;

import io.userspaceproxy.core.model.Endpoint;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

/**
 * An endpoint that neither accepts nor refuses: a listener that never accepts, with its accept queue filled, so
 * the kernel drops further SYNs and a connect to it hangs until the caller's connect timeout. This is how an
 * overloaded or half-dead pod looks from the proxy, reproduced on loopback.
 */
public final class TcpBlackholeServer implements AutoCloseable {

    private static final int MAX_FILLERS = 16;

    private final ServerSocket listener;
    private final List<Socket> fillers = new ArrayList<>();

    public TcpBlackholeServer() throws IOException {
        listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        for (int i = 0; i < MAX_FILLERS; i++) {
            Socket filler = new Socket();
            try {
                filler.connect(listener.getLocalSocketAddress(), 200);
                fillers.add(filler);
            } catch (SocketTimeoutException e) {
                filler.close();
                return; // the accept queue is full: SYNs are dropped from now on
            }
        }
        close();
        throw new IllegalStateException("the accept queue did not fill up after " + MAX_FILLERS + " connections");
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    public Endpoint endpoint() {
        return new Endpoint(address());
    }

    @Override
    public void close() throws IOException {
        for (Socket filler : fillers) {
            filler.close();
        }
        listener.close();
    }
}
